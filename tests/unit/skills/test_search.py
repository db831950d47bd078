"""The parameters of /v1/skills and /competences, turned into a board query."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from services.query.errors import ApiError
from services.query.openapi import get, ok
from services.skills.openapi import paths
from services.skills.search import KNOWN, parse_query
from shared.store.board_base import BoardSort


def test_filters_are_or_within_and_across_with_a_period_in_paris_time() -> None:
    query = parse_query(MultiDict([("type", "offre,besoin"), ("skill", "graphisme"),
                                   ("quartier", "Centre"), ("from", "2027-01-01"),
                                   ("to", "2027-01-31"), ("q", " affiche "),
                                   ("association", "velo-solidaire"), ("facets", "true"),
                                   ("sort", "soonest"), ("limit", "5")]))
    assert query.kind == "skill" and query.q == "affiche"
    assert dict(query.facets) == {"type": ("offre", "besoin"), "skill": ("graphisme",),
                                  "quartier": ("Centre",)}
    assert (query.start, query.end) == ("2027-01-01T00:00:00+01:00",
                                        "2027-01-31T23:59:59+01:00")
    assert query.owner == "velo-solidaire" and query.with_facets
    assert query.sort == BoardSort.SOONEST and query.limit == 5


@pytest.mark.parametrize(("params", "name"), [
    ({"type": "stage"}, "type"), ({"skill": "plomberie"}, "skill"),
    ({"from": "01/02/2027"}, "from"), ({"from": "2027-02-02", "to": "2027-02-01"}, "to"),
    ({"limit": "1000"}, "limit"), ({"sort": "distance"}, "sort"), ({"colour": "x"}, "colour"),
    ({"q": "x" * 201}, "q"),
])
def test_each_wrong_parameter_is_a_400_naming_it(params: dict[str, str], name: str) -> None:
    with pytest.raises(ApiError) as exc:
        parse_query(MultiDict(params))
    assert exc.value.status_code == 400
    assert exc.value.body_data["error"]["details"]["parameter"] == name


def test_every_parameter_the_search_reads_is_in_the_openapi_description() -> None:
    described = paths(get, ok)
    names = {p["name"] for p in described["/v1/skills"]["get"]["parameters"]}
    assert names == KNOWN
