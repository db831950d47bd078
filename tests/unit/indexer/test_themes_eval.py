"""Theme tagging measured on the held-out part of the labelled sets (scripts/eval_themes.py).

The split of ``themes_real.jsonl`` was fixed before any tuning; these floors are the
targets of issue 16 (precision 0.85, recall 0.75 on held-out real-style calendars) and the
level the project's own set reached before the change. ``themes_classes.jsonl`` holds the
development cases written for the failure classes of the blind evaluation (all ``dev``):
its floor keeps each class fixed.
"""

import json
from pathlib import Path

import pytest

from services.indexer.enrich.keywords import make_keywords, source_keywords
from services.indexer.enrich.sanitize import html_to_text, sanitize
from services.indexer.enrich.themes import TextHits, assign_themes

DATA = Path(__file__).resolve().parents[2] / "data"


def rows_pr(rows: list[dict]) -> tuple[float, float]:
    tp = fp = fn = 0
    for row in rows:
        extra = {k: row[k] for k in ("organizer_themes", "association_themes") if row.get(k)}
        hits = TextHits.of(row["title"], html_to_text(sanitize(row["description"])))
        made = make_keywords(row["categories"], row.get("keywords", ()), row["title"], hits)
        given = source_keywords(made, row["categories"], row["title"], hits)
        got = {t.code for t in assign_themes(row["categories"], extra, hits, given)}
        want = set(row["expected"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return tp / (tp + fp), tp / (tp + fn)


def micro_pr(name: str, split: str) -> tuple[float, float]:
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return rows_pr([r for r in rows if r["split"] == split])


@pytest.mark.parametrize(
    ("name", "split", "precision", "recall"),
    [
        ("themes_real.jsonl", "test", 0.85, 0.75),
        ("themes_labelled.jsonl", "test", 0.81, 0.80),
        ("themes_classes.jsonl", "dev", 0.95, 0.95),
    ],
)
def test_precision_and_recall(name, split, precision, recall):
    p, r = micro_pr(name, split)
    assert p >= precision and r >= recall, f"{name}: P {p:.2f} R {r:.2f}"


def association_pr(script, split: str, association: bool) -> tuple[float, float]:
    rows = script("eval_themes").load_rows(DATA / "themes_association.jsonl", association)
    return rows_pr([r for r in rows if r["split"] == split])


def test_association_prior_raises_recall_and_keeps_precision(script):
    """Measured when the prior was added (held-out part of themes_association.jsonl): without
    the associations' themes P 0.92 R 0.73, with them P 0.89 R 0.92."""
    p_without, r_without = association_pr(script, "test", association=False)
    p_with, r_with = association_pr(script, "test", association=True)
    assert r_with >= r_without + 0.15, (r_with, r_without)
    assert p_with >= 0.87 and r_with >= 0.89, (p_with, r_with)
