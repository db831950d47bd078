"""schemathesis against /v1/skills and /v1/skills/{id} as described by
:mod:`services.skills.openapi`, on the real site (real nats-server, the demo's posts on the
real SQLite board through the real board consumer): no 5xx, every answer (status, headers,
body) as described, invalid input refused with a 4xx."""

from __future__ import annotations

import asyncio

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.query.openapi import get, ok, spec
from services.skills.openapi import paths
from shared.bus import Bus
from shared.store.board_base import BOARD, BoardQuery

from .conftest import Site
from .test_skills_search import indexing, until

pytestmark = pytest.mark.integration

SCHEMA = schemathesis.openapi.from_dict({**spec(), "paths": paths(get, ok)})


def conforms(url: str, post: str) -> None:
    for operation in SCHEMA.get_all_operations():
        op = operation.ok()

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=url, excluded_checks=[positive_data_acceptance],
                                   timeout=30)

        check()
    found = requests.get(f"{url}/v1/skills/{post}", timeout=10)
    assert found.status_code == 200 and found.json()["item"]["id"] == post


async def test_the_skills_api_conforms_to_its_description(site: Site, bus: Bus) -> None:
    async with indexing(site, bus):
        async def indexed() -> bool:
            await site.app[BOARD].settle()
            return await site.app[BOARD].count("skill") > 0

        await until(indexed)
        page = await site.app[BOARD].search(BoardQuery("skill"))
        await asyncio.to_thread(conforms, site.url, page.items[0]["id"])
