"""What schemathesis found reading /v1/applications' parameters: any facets value was read
as no, a repeated single parameter as its first value, an unknown state searched for nothing,
and a limit of non-ASCII digits named the wrong parameter."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from services.applications.routes import query_of


@pytest.mark.parametrize("query", [
    [("facets", "null")], [("facets", "true"), ("facets", "true")], [("limit", "²")],
    [("limit", "5"), ("limit", "6")], [("state", "nope")], [("q", "a"), ("q", "b")],
    [("seeking", "yes"), ("seeking", "no")],
])
def test_a_bad_parameter_is_refused_and_named(query: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError) as refused:
        query_of(MultiDict(query))
    assert str(refused.value) == query[0][0]


def test_the_page_names_its_own_parameter() -> None:
    with pytest.raises(ValueError, match="^etat$"):
        query_of(MultiDict([("etat", "nope")]), names={"etat": "state"}, seeking="ouvertes")


def test_good_parameters_are_read() -> None:
    query = query_of(MultiDict([("facets", "1"), ("state", "seeking"), ("state", ""),
                                ("limit", "7")]))
    assert (query.with_facets, query.facets, query.limit) == (True, {"state": ("seeking",)}, 7)
    assert query_of(MultiDict([("facets", "false")])).with_facets is False
