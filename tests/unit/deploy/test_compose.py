"""docker-compose.yml: valid against the official Compose Specification schema, and coherent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SCHEMA = Path(__file__).with_name("compose-spec.schema.json")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def test_compose_file_is_valid_against_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_schema_check_catches_an_unknown_service_key(compose: dict[str, Any]) -> None:
    broken = {**compose, "services": {**compose["services"], "query": {
        **compose["services"]["query"], "replicaz": 2}}}
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text()))
    assert not validator.is_valid(broken)


def test_nats_runs_as_a_three_node_cluster(compose: dict[str, Any]) -> None:
    nodes = [n for n in compose["services"] if n.startswith("nats-")]
    assert nodes == ["nats-1", "nats-2", "nats-3"]
    names = {compose["services"][n]["environment"]["NATS_SERVER_NAME"] for n in nodes}
    assert names == set(nodes)
    url = compose["services"]["harvester"]["environment"]["MAILLAGE_NATS_URL"]
    assert url.split(",") == [f"nats://{n}:4222" for n in nodes]


def test_harvesters_and_indexers_have_several_replicas(compose: dict[str, Any]) -> None:
    for name in ("harvester", "indexer"):
        assert compose["services"][name]["deploy"]["replicas"] >= 2


def test_every_service_of_maillage_runs_its_module(compose: dict[str, Any]) -> None:
    for name in ("harvester", "indexer", "query", "ingest", "monitor"):
        assert compose["services"][name]["command"] == ["python", "-m", f"services.{name}"]
        assert (REPO / "services" / name / "__main__.py").exists()


def test_services_bind_all_interfaces_inside_containers(compose: dict[str, Any]) -> None:
    env = {n: compose["services"][n]["environment"] for n in ("query", "ingest", "monitor")}
    assert env["query"]["MAILLAGE_HTTP_HOST"] == "0.0.0.0"
    assert env["ingest"]["MAILLAGE_INGEST_HOST"] == "0.0.0.0"
    assert env["monitor"]["MAILLAGE_MONITOR_HOST"] == "0.0.0.0"
    assert env["monitor"]["MAILLAGE_MONITOR_PORT"] == "8082"


def test_repository_files_mounted_by_compose_exist(compose: dict[str, Any]) -> None:
    operator_files = {"./sources.toml"}  # made by the operator
    missing = []
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith("./") and host not in operator_files:
                if not (REPO / host).exists():
                    missing.append(host)
    assert missing == []


def test_prometheus_loads_the_alert_rules(compose: dict[str, Any]) -> None:
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"harvester", "indexer", "query", "ingest", "monitor"} <= jobs


def test_dockerfile_copies_the_packages_it_installs() -> None:
    text = (REPO / "deploy" / "Dockerfile").read_text()
    for package in ("shared", "services", "demo"):
        assert f"COPY {package} ./{package}" in text
    assert "USER 10001" in text


def test_query_has_a_required_public_url_and_a_trusted_proxy_setting(
        compose: dict[str, Any]) -> None:
    env = compose["services"]["query"]["environment"]
    assert env["MAILLAGE_PUBLIC_URL"].startswith("${MAILLAGE_PUBLIC_URL:?")
    assert "MAILLAGE_TRUSTED_PROXIES" in env


def test_elasticsearch_needs_no_template_installer(compose: dict[str, Any]) -> None:
    # the stores create their indices, mappings and aliases themselves: a template put by
    # compose matched none of them, or collided with the store's own
    assert not [n for n in compose["services"] if n.startswith("elasticsearch-")]
    assert not (REPO / "deploy" / "elasticsearch").exists()
    for name in ("indexer", "query", "ingest"):
        assert compose["services"][name]["depends_on"]["elasticsearch"] == {
            "condition": "service_healthy"}
