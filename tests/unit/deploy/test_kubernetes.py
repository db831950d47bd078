"""Kubernetes manifests: each document valid against the Kubernetes OpenAPI schemas (strict,
no unknown field), and the kustomization coherent with the files it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
K8S_VERSION = "1.30.0"


def documents() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out.append((f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return out


DOCS = documents()


@pytest.mark.parametrize(("name", "doc"), DOCS, ids=[n for n, _ in DOCS])
def test_manifest_is_valid_against_the_kubernetes_schema(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_validation_catches_a_misspelt_field() -> None:
    doc = next(d for n, d in DOCS if n.startswith("indexer.yaml:Deployment"))
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["template"]["spec"]["containers"][0]["envfrom"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_and_its_generated_files_exist() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {f"k8s/{p.name}" for p in (DEPLOY / "k8s").glob("*.yaml")}
    for generator in kustomization["configMapGenerator"]:
        for entry in generator["files"]:
            assert (DEPLOY / entry.split("=", 1)[1]).exists(), entry


def test_configmaps_used_by_pods_are_defined_or_generated() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    defined = {d["metadata"]["name"] for _, d in DOCS if d["kind"] == "ConfigMap"}
    defined |= {g["name"] for g in kustomization["configMapGenerator"]}
    used = set()
    for _, doc in DOCS:
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                used.add(volume["configMap"]["name"])
        for container in spec.get("containers", []):
            for source in container.get("envFrom", []):
                used.add(source["configMapRef"]["name"])
    assert used <= defined


def test_harvesters_and_indexers_have_several_replicas_and_nats_three() -> None:
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for _, d in DOCS
                if d["kind"] in ("Deployment", "StatefulSet")}
    assert replicas["harvester"] >= 2 and replicas["indexer"] >= 2
    assert replicas["nats"] == 3


def test_selectors_match_pod_labels() -> None:
    for name, doc in DOCS:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert doc["spec"]["selector"]["matchLabels"].items() <= labels.items(), name


def _config() -> dict[str, str]:
    return next(d for _, d in DOCS if d["kind"] == "ConfigMap"
                and d["metadata"]["name"] == "maillage-config")["data"]


def test_query_settings_of_the_manifests_load_and_name_a_public_url() -> None:
    from services.query.settings import SETTINGS
    from shared.settings import load

    settings = load(SETTINGS, _config())
    assert settings.public_url.startswith("https://")
    assert settings.trusted_proxies  # the ingress controller is a trusted proxy


def test_ingress_serves_the_public_host_and_routes_to_existing_service_ports() -> None:
    from urllib.parse import urlsplit

    services = {d["metadata"]["name"]: {p["name"] for p in d["spec"]["ports"]}
                for _, d in DOCS if d["kind"] == "Service"}
    [ingress] = [d for _, d in DOCS if d["kind"] == "Ingress"]
    public_host = urlsplit(_config()["MAILLAGE_PUBLIC_URL"]).hostname
    assert {rule["host"] for rule in ingress["spec"]["rules"]} == {public_host}
    backends = {p["path"]: p["backend"]["service"] for rule in ingress["spec"]["rules"]
                for p in rule["http"]["paths"]}
    assert backends["/"]["name"] == "query" and backends["/v1/push"]["name"] == "ingest"
    for backend in backends.values():
        assert backend["port"]["name"] in services[backend["name"]]
    assert "monitor" not in {b["name"] for b in backends.values()}  # operators only
