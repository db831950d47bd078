"""Declared links in a real JetStream: the rules of :mod:`services.network.storage` hold under
concurrent writes (optimistic concurrency on the link's subject)."""

from __future__ import annotations

import asyncio

import pytest

from services.accounts.storage import Stores
from services.network.model import CONFIRMED, DECLINED, ENDED, PROPOSED, End
from services.network.storage import Links
from services.network.validate import Declaration
from shared.bus import Bus
from shared.records import Conflict

pytestmark = pytest.mark.integration

VELO = End("velo-solidaire", "Vélo solidaire", "Centre")
JARDINS = End("jardins-blosne", "Jardins du Blosne", "Le Blosne")
CHOEUR = End("choeur-arc-en-ciel", "Chœur Arc-en-ciel")


def declared(source: End, target: End, kind: str = "partnership") -> Declaration:
    return Declaration(source.id, target.id, kind, "Ateliers communs", "2021")


@pytest.fixture
async def links(bus: Bus) -> Links:
    return Links(await Stores.open(bus))


async def test_declare_confirm_then_end(links: Links) -> None:
    link = await links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor="p_a")
    assert link.state == PROPOSED and (link.source, link.target) == (VELO.id, JARDINS.id)
    with pytest.raises(PermissionError):  # the declaring side cannot confirm its own
        await links.confirm(link.id, VELO.id, actor="p_a")
    confirmed = await links.confirm(link.id, JARDINS.id, actor="p_b")
    assert confirmed.state == CONFIRMED
    ended = await links.end(link.id, VELO.id, actor="p_a")
    assert ended.state == ENDED and ended.closed_by == VELO.id
    history = await links.records.history(links.subject(link.id))
    assert [e.reason for e in history] == ["declared", "confirmed", "ended"]
    assert [e.actor for e in history] == ["p_a", "p_b", "p_a"]


async def test_the_same_link_cannot_be_declared_twice(links: Links) -> None:
    await links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor="p_a")
    with pytest.raises(Conflict):
        await links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor="p_a")
    # another kind between the same two is another link
    other = await links.declare(declared(VELO, JARDINS, "premises"), VELO, JARDINS,
                                actor="p_a")
    assert other.state == PROPOSED


async def test_declaring_what_the_other_side_proposed_confirms_it(links: Links) -> None:
    first = await links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor="p_a")
    second = await links.declare(declared(JARDINS, VELO), JARDINS, VELO, actor="p_b")
    assert second.id == first.id and second.state == CONFIRMED


async def test_declined_then_declared_again(links: Links) -> None:
    link = await links.declare(declared(VELO, CHOEUR), VELO, CHOEUR, actor="p_a")
    declined = await links.decline(link.id, CHOEUR.id, actor="p_c")
    assert declined.state == DECLINED and declined.closed_by == CHOEUR.id
    with pytest.raises(Conflict):  # declined: nothing left to confirm
        await links.confirm(link.id, CHOEUR.id, actor="p_c")
    again = await links.declare(declared(VELO, CHOEUR), VELO, CHOEUR, actor="p_a")
    assert again.state == PROPOSED


async def test_many_declaring_at_once_make_one_link(links: Links) -> None:
    results = await asyncio.gather(
        *(links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor=f"p_{i}")
          for i in range(6)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))


async def test_confirm_racing_an_end_one_wins(links: Links) -> None:
    link = await links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor="p_a")
    results = await asyncio.gather(links.confirm(link.id, JARDINS.id, actor="p_b"),
                                   links.end(link.id, VELO.id, actor="p_a"),
                                   return_exceptions=True)
    final = await links.get(link.id)
    assert final is not None
    if final.state == ENDED:  # the end came last: it applied to either state
        assert not isinstance(results[1], BaseException)
    else:  # confirmed after the end cannot be: confirming needs a proposal
        pytest.fail(f"a confirmation came after an end: {final.state}")


async def test_an_association_s_links_are_found_from_either_side(links: Links) -> None:
    await links.declare(declared(VELO, JARDINS), VELO, JARDINS, actor="p_a")
    await links.declare(declared(CHOEUR, VELO, "member"), CHOEUR, VELO, actor="p_c")
    await links.declare(declared(JARDINS, CHOEUR), JARDINS, CHOEUR, actor="p_b")
    found = await links.of_association(VELO.id)
    assert sorted(link.kind for link in found) == ["member", "partnership"]
    assert all(link.involves(VELO.id) for link in found)


async def test_two_associations_are_not_each_a_member_of_the_other(links: Links) -> None:
    from shared.errors import InvalidInput

    member = await links.declare(declared(VELO, CHOEUR, "member"), VELO, CHOEUR, actor="p_a")
    with pytest.raises(InvalidInput) as raised:
        await links.declare(declared(CHOEUR, VELO, "member"), CHOEUR, VELO, actor="p_c")
    assert "membre" in raised.value.errors["kind"]
    await links.end(member.id, VELO.id, actor="p_a")  # once ended, the other way is free
    other = await links.declare(declared(CHOEUR, VELO, "member"), CHOEUR, VELO, actor="p_c")
    assert other.state == PROPOSED
