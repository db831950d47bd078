"""The SQLite directory's in-memory view follows another process's writes without making
searches wait: a thread builds the new view while the old one answers."""

from pathlib import Path

from shared.store.directory_base import DirectoryMessage, DirectoryQuery
from shared.store.directory_sqlite import SqliteDirectory


def doc(aid: str, name: str) -> dict:
    return {"id": aid, "name": name, "themes": ["sport"], "state": "active"}


async def test_another_writer_is_seen_after_a_background_rebuild(tmp_path: Path) -> None:
    writer = SqliteDirectory(tmp_path / "directory.sqlite")
    reader = SqliteDirectory(tmp_path / "directory.sqlite", stale_s=0)
    await writer.apply([DirectoryMessage("a", 1, doc("a", "Alpha"))])
    assert (await reader.search(DirectoryQuery())).total == 1  # first view: built at once
    await writer.apply([DirectoryMessage("b", 2, doc("b", "Bravo"))])
    page = await reader.search(DirectoryQuery(themes=("sport",)))
    assert page.total == 1  # answered from the view it had; a thread builds the next
    building = reader.building  # None again once done
    if building is not None:
        building.join(timeout=30)
    page = await reader.search(DirectoryQuery(themes=("sport",)))
    assert [i["id"] for i in page.items] == ["a", "b"]
    await writer.close()
    await reader.close()


async def test_own_writes_are_seen_at_once(tmp_path: Path) -> None:
    store = SqliteDirectory(tmp_path / "directory.sqlite", stale_s=3600)
    await store.apply([DirectoryMessage("a", 1, doc("a", "Alpha"))])
    assert (await store.search(DirectoryQuery())).total == 1
    await store.apply([DirectoryMessage("b", 2, doc("b", "Bravo"))])
    assert (await store.search(DirectoryQuery())).total == 2
    assert store.building is None
    await store.close()


async def test_settle_makes_another_writers_rows_searchable_at_once(tmp_path: Path) -> None:
    writer = SqliteDirectory(tmp_path / "directory.sqlite")
    reader = SqliteDirectory(tmp_path / "directory.sqlite", stale_s=3600)
    await writer.apply([DirectoryMessage("a", 1, doc("a", "Alpha"))])
    assert (await reader.search(DirectoryQuery())).total == 1
    await writer.apply([DirectoryMessage("b", 2, doc("b", "Bravo"))])
    assert (await reader.search(DirectoryQuery())).total == 1  # the view it had
    await reader.settle()
    assert (await reader.search(DirectoryQuery())).total == 2
    await writer.close()
    await reader.close()



async def test_a_document_another_process_removed_is_left_out_of_the_stale_view(
        tmp_path: Path) -> None:
    """The view still holds the row of a document the writer has just removed: the row is a
    tombstone without data, which a search leaves out (it answered 500 before)."""
    from shared.store.board_base import BoardMessage, BoardQuery
    from shared.store.board_sqlite import SqliteBoard

    writer = SqliteDirectory(tmp_path / "directory.sqlite")
    reader = SqliteDirectory(tmp_path / "directory.sqlite", stale_s=3600)
    await writer.apply([DirectoryMessage("a", 1, doc("a", "Alpha")),
                        DirectoryMessage("b", 2, doc("b", "Bravo"))])
    assert (await reader.search(DirectoryQuery())).total == 2
    await writer.apply([DirectoryMessage("a", 3, None)])
    page = await reader.search(DirectoryQuery())  # the view it had: "a" is still in it
    assert [i["id"] for i in page.items] == ["b"]
    board_writer = SqliteBoard(tmp_path / "board.sqlite")
    board_reader = SqliteBoard(tmp_path / "board.sqlite", stale_s=3600)
    await board_writer.apply([BoardMessage("skill", "x", 1, {"id": "x", "title": "Graphisme"})])
    assert (await board_reader.search(BoardQuery(kind="skill"))).total == 1
    await board_writer.apply([BoardMessage("skill", "x", 2, None)])
    assert (await board_reader.search(BoardQuery(kind="skill"))).items == []
    for store in (writer, reader, board_writer, board_reader):
        await store.close()
