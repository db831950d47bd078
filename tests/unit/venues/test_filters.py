"""What schemathesis found reading /v1/venues' filters: a limit of non-ASCII digits was a
500, a repeated single filter was read as its first value, a compact date passed as free_on."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from services.venues.list_pages import API_NAMES, read_filters


@pytest.mark.parametrize("query", [
    [("limit", "²")], [("limit", "5"), ("limit", "6")], [("capacity", "10"), ("capacity", "20")],
    [("cursor", "a"), ("cursor", "b")], [("free_on", "20991205")], [("free_on", "2099-W49-1")],
])
def test_a_bad_filter_is_refused_and_named(query: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError) as refused:
        read_filters(MultiDict(query), API_NAMES)
    name, _ = refused.value.args
    assert name == query[0][0]


def test_good_filters_are_read() -> None:
    filters = read_filters(MultiDict([("limit", "5"), ("free_on", " 2099-12-05 "),
                                      ("equipment", "wifi"), ("equipment", "")]), API_NAMES)
    assert (filters.limit, str(filters.free_on), filters.equipment) == (5, "2099-12-05",
                                                                         ["wifi"])
