"""The Elasticsearch client and server versions are paired (issue 21).

elasticsearch-py 9 sends ``Accept: application/vnd.elasticsearch+json; compatible-with=9``
(``elasticsearch/_async/client/_base.py``), which an 8.x server refuses; and a client is only
guaranteed against servers of its minor version or later ("Language clients are forward
compatible", elasticsearch-py README, Compatibility). So every client version the pin allows
must have the server's major and at most its minor.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import elasticsearch
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from shared.store.elastic import ElasticStore
from tests.unit.store.fake_elastic import running

REPO = Path(__file__).resolve().parents[3]
IMAGE = re.compile(r"docker\.elastic\.co/elasticsearch/elasticsearch:(\d+\.\d+\.\d+)")


def pin() -> Requirement:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (found,) = [Requirement(d) for d in project["dependencies"]
                if Requirement(d).name == "elasticsearch"]
    return found


def server_versions() -> dict[str, Version]:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    out = {"docker-compose.yml": Version(IMAGE.fullmatch(
        compose["services"]["elasticsearch"]["image"]).group(1))}  # type: ignore[union-attr]
    for doc in yaml.safe_load_all((REPO / "deploy/k8s/elasticsearch.yaml").read_text()):
        if doc and doc["kind"] == "StatefulSet":
            image = doc["spec"]["template"]["spec"]["containers"][0]["image"]
            out["deploy/k8s"] = Version(IMAGE.fullmatch(image).group(1))  # type: ignore[union-attr]
    return out


def test_compose_and_kubernetes_run_the_same_server() -> None:
    versions = server_versions()
    assert set(versions) == {"docker-compose.yml", "deploy/k8s"}
    assert len(set(versions.values())) == 1


def test_every_client_the_pin_allows_speaks_to_the_server() -> None:
    server = next(iter(server_versions().values()))
    spec = pin().specifier
    major, minor = server.major, server.minor
    assert Version(f"{major}.{minor}.0") in spec
    assert Version(f"{major}.{minor + 1}.0") not in spec  # a newer minor than the server
    assert Version(f"{major + 1}.0.0") not in spec  # compatible-with=10
    assert Version(f"{major - 1}.99.99") not in spec  # an older major


def test_the_installed_client_is_the_pinned_one_and_sends_the_server_major() -> None:
    server = next(iter(server_versions().values()))
    assert Version(elasticsearch.__versionstr__) in pin().specifier
    from elasticsearch._async.client import _base

    assert _base._COMPAT_MIMETYPE_TEMPLATE.endswith(f"compatible-with={server.major}")


async def test_a_server_of_the_paired_major_accepts_the_client() -> None:
    async with running(major=9) as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        accept = fake.requests[0].headers["Accept"]
        assert accept == "application/vnd.elasticsearch+json; compatible-with=9"
        await store.close()


async def test_a_server_of_the_previous_major_refuses_the_client() -> None:
    # what the compose file's Elasticsearch 8.15 did to the 9.x client `>=8.13` installed
    async with running(major=8) as fake:
        store = ElasticStore(fake.url, "t")
        with pytest.raises(elasticsearch.BadRequestError):
            await store.ensure()  # HEAD: the 400 has no body
        with pytest.raises(elasticsearch.BadRequestError, match="media_type_header"):
            await store.es.count(index="t")
        await store.close()
