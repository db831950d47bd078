"""Alert rules: valid PromQL, and every metric they use is one Maillage exports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from services.monitor.metrics import MONITOR_METRIC_NAMES
from shared.metrics import METRIC_NAMES

REPO = Path(__file__).resolve().parents[3]
RULES = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
ALL_RULES: list[dict[str, Any]] = [r for g in RULES["groups"] for r in g["rules"]]
BUILTIN = {"up"}
SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def metric_names(expr: str) -> set[str]:
    names = set(re.findall(r"\b(maillage_[a-z_]+|up)\b", expr))
    out = set()
    for name in names:
        for suffix in SUFFIXES:
            if name.endswith(suffix) and name.removesuffix(suffix) in METRIC_NAMES:
                name = name.removesuffix(suffix)
        out.add(name)
    return out


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r["alert"] for r in ALL_RULES])
def test_rule_expression_is_valid_promql(rule: dict[str, Any]) -> None:
    promql_parser.parse(rule["expr"])


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r["alert"] for r in ALL_RULES])
def test_rule_uses_only_exported_metrics(rule: dict[str, Any]) -> None:
    unknown = metric_names(rule["expr"]) - METRIC_NAMES - MONITOR_METRIC_NAMES - BUILTIN
    assert unknown == set()


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r["alert"] for r in ALL_RULES])
def test_rule_has_severity_and_french_summary(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in ("warning", "critical")
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_invalid_promql_is_refused_by_the_parser() -> None:
    with pytest.raises(ValueError):
        promql_parser.parse("sum(rate(maillage_harvests_total[5m])")


def test_the_issue_alerts_are_all_present() -> None:
    names = {r["alert"] for r in ALL_RULES}
    assert {"MaillageSourceFailing", "MaillageSourceStale", "MaillageConsumerLag",
            "MaillageDeadLetters"} <= names
