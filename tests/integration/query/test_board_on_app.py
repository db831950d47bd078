"""The site holds the board (``app[BOARD]``) for the domains' routes: the configured one
(``board.sqlite`` beside the events' index) unless one is given, closed on cleanup."""

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from services.query.app import create_app
from shared.store.board_base import BOARD, BoardMessage, BoardQuery
from shared.store.board_sqlite import SqliteBoard
from shared.store.sqlite import SqliteStore
from tests.integration.query.conftest import query_settings


class Closing(SqliteBoard):
    closed = False

    async def close(self) -> None:
        self.closed = True
        await super().close()


async def test_the_configured_board_beside_the_events_index(tmp_path: Path) -> None:
    settings = query_settings(MAILLAGE_SQLITE_PATH=str(tmp_path / "data" / "index.sqlite"))
    writer = SqliteBoard(tmp_path / "data" / "board.sqlite")  # the indexer, elsewhere
    await writer.apply([BoardMessage("skill", "a", 1, {"id": "a", "title": "Aide"})])
    app = create_app(settings, SqliteStore(tmp_path / "data" / "index.sqlite"))
    page = await app[BOARD].search(BoardQuery("skill", q="aide"))
    assert [item["id"] for item in page.items] == ["a"]
    await app[BOARD].close()
    await writer.close()


async def test_a_given_board_is_closed_with_the_app(tmp_path: Path) -> None:
    board = Closing(tmp_path / "board.sqlite")
    app = create_app(query_settings(), SqliteStore(tmp_path / "index.sqlite"), board=board)
    assert app[BOARD] is board
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    assert not board.closed
    await client.close()
    assert board.closed
