"""``/v1/search`` across kinds on the running service (real HTTP on loopback, real SQLite
stores for events, calls and the directory): every filter applies to every kind, unknown
parameters are refused like on /v1/events and /v1/associations, and the cursor reaches
every result once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.associations.directory_api import DIRECTORY
from services.associations.project import searchable
from services.query.calls_routes import CALL_STORE
from shared.calls import CallMessage
from shared.store.directory_base import DirectoryMessage

from .conftest import THEMES, MakeClient
from .conftest import seed_associations as associations
from .conftest import seed_calls as calls

pytestmark = pytest.mark.integration

@pytest.fixture
async def client(make_client: MakeClient, tmp_path: Path) -> Any:
    """The service over the seeded events, 7 calls and 23 associations, its stores in a
    directory of its own."""
    client = await make_client(MAILLAGE_DATA_DIR=str(tmp_path / "data"))
    await client.app[CALL_STORE].apply([CallMessage.upsert(c, 1) for c in calls(7)])
    await client.app[DIRECTORY].apply([DirectoryMessage(r["id"], i + 1, searchable(r, None))
                                       for i, r in enumerate(associations(23))])
    return client


async def get(client: Any, path: str, params: Any = ()) -> tuple[int, Any]:
    resp = await client.get(path, params=params)
    return resp.status, await resp.json()


def kind_counts(body: dict[str, Any]) -> dict[str, int]:
    return {f["value"]: f["count"] for f in body["facets"]["kind"]}


def themes_of(item: dict[str, Any]) -> set[str]:
    return {t["code"] if isinstance(t, dict) else t for t in item.get("themes") or ()}


def quartiers_of(item: dict[str, Any]) -> set[str]:
    if item["kind"] == "event":
        return {(item.get("location") or {}).get("quartier")}
    if item["kind"] == "call":
        return {item.get("quartier")}
    return set(item.get("quartiers") or ())


async def everything(client: Any, **params: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a search, page after page through ``next``; and how many pages."""
    status, body = await get(client, "/v1/search", params)
    assert status == 200, body
    items, pages = list(body["items"]), 1
    total = body["total"]
    while body["next"] is not None:
        status, body = await get(client, "/v1/search", {**params, "cursor": body["next"]})
        assert status == 200, body
        assert body["total"] == total  # the same count on every page
        items += body["items"]
        pages += 1
        assert pages < 100
    assert len(items) == total
    return items, pages


@pytest.mark.parametrize("theme", THEMES)
async def test_theme_filters_every_kind(client: Any, theme: str) -> None:
    _, events = await get(client, "/v1/events", {"theme": theme})
    _, open_calls = await get(client, "/v1/calls", {"theme": theme, "status": "open,upcoming"})
    _, directory = await get(client, "/v1/associations", {"theme": theme})
    status, body = await get(client, "/v1/search", {"theme": theme, "limit": "100"})
    assert status == 200, body
    assert kind_counts(body) == {"event": events["total"], "call": open_calls["total"],
                                 "association": directory["total"]}
    assert directory["total"] < 23 and open_calls["total"] < 7
    assert body["items"] and all(theme in themes_of(item) for item in body["items"])
    status, only = await get(client, "/v1/search", {"kind": "association", "theme": theme})
    assert {i["id"] for i in only["items"]} == {i["id"] for i in directory["items"]}


async def test_quartier_filters_every_kind(client: Any) -> None:
    status, body = await get(client, "/v1/search", {"quartier": "Sud-Gare", "limit": "100"})
    assert status == 200, body
    counts = kind_counts(body)
    assert counts["call"] == 3 and counts["association"] == 11 and counts["event"] >= 1
    assert all("Sud-Gare" in quartiers_of(item) for item in body["items"])


async def test_kinds_without_results_leave_room_for_the_others(client: Any) -> None:
    status, body = await get(client, "/v1/search", {"q": "association numéro"})
    assert status == 200, body
    assert kind_counts(body) == {"event": 0, "call": 0, "association": 23}
    assert len(body["items"]) == 20 and body["next"]


@pytest.mark.parametrize(("params", "name"), [
    ({"foo": "bar"}, "foo"),
    ({"status": "open"}, "status"),  # a /v1/calls parameter, never applied here
    ({"cursor": "abc"}, "cursor"),
    ({"cursor": "W10"}, "cursor"),  # valid base64 JSON, not a search cursor
    ({"theme": "nope"}, "theme"),
    ({"kind": "venue"}, "kind"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
])
async def test_bad_parameters_are_the_one_400(client: Any, params: dict[str, str],
                                              name: str) -> None:
    status, body = await get(client, "/v1/search", params)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_parameter"
    assert body["error"]["details"]["parameter"] == name


@pytest.mark.parametrize("path", ["/v1/calls", "/v1/calls.ics", "/v1/calls.rss"])
async def test_calls_refuse_unknown_parameters_as_the_other_searches(client: Any,
                                                                     path: str) -> None:
    async with client.get(path, params={"themes": "sport"}) as resp:  # a typo of theme
        body = await resp.json()
    assert resp.status == 400, body
    assert body["error"]["code"] == "invalid_parameter"
    assert body["error"]["details"]["parameter"] == "themes"
    async with client.get(path, params=[("funder", "x")] * 51) as resp:  # the spec's maxItems
        assert resp.status == 400
        assert (await resp.json())["error"]["details"]["parameter"] == "funder"
    async with client.get("/appels", params={"utm_source": "lettre"}) as resp:
        assert resp.status == 200  # the page, as the agenda's, ignores a tracker's addition


async def test_a_cursor_of_other_kinds_is_refused(client: Any) -> None:
    _, first = await get(client, "/v1/search", {"limit": "2"})
    status, body = await get(client, "/v1/search", {"kind": "association",
                                                    "cursor": first["next"]})
    assert status == 400 and body["error"]["details"]["parameter"] == "cursor"


@pytest.mark.parametrize("limit", ["1", "3", "7", "100"])
async def test_paging_reaches_every_result_once_in_order(client: Any, limit: str) -> None:
    items, pages = await everything(client, limit=limit)
    _, events = await get(client, "/v1/events", {"limit": "100"})
    keys = [(i["kind"], i["id"]) for i in items]
    assert len(set(keys)) == len(keys)
    assert {k for k in keys if k[0] == "event"} == {("event", i["id"]) for i in events["items"]}
    assert sum(k[0] == "call" for k in keys) == 7
    assert sorted(k[1] for k in keys if k[0] == "association") == [
        f"asso{i:02d}" for i in range(23)]
    kinds = [k[0] for k in keys]
    first_association = kinds.index("association")
    assert set(kinds[first_association:]) == {"association"}  # the dated ones first
    dates = [datetime.fromisoformat(i["start"] if i["kind"] == "event" else i["deadline"])
             for i in items[:first_association]]
    assert dates == sorted(dates)
    assert pages == -(-len(items) // int(limit))  # full pages until the last


async def test_associations_past_the_largest_page(client: Any) -> None:
    extra = associations(130)[23:]
    await client.app[DIRECTORY].apply([DirectoryMessage(r["id"], 100 + i, searchable(r, None))
                                       for i, r in enumerate(extra)])
    items, pages = await everything(client, kind="association", limit="100")
    assert pages == 2 and len({i["id"] for i in items}) == 130
