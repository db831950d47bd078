"""The rhythm of a recurring event in French, and one card per series in a list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.query.web.series import fold, rhythm

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 12, 3, 19, 0, tzinfo=PARIS)


def doc(event_id: str, start: datetime, n: int = 0) -> dict[str, Any]:
    return {"id": f"{event_id}-{n}", "event_id": event_id, "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat()}


def every(days: int, count: int, first: datetime = THURSDAY) -> list[dict[str, Any]]:
    return [doc("e", first + timedelta(days=days * n), n) for n in range(count)]


@pytest.mark.parametrize(("days", "count", "expected"), [
    (7, 10, "tous les jeudis, 10 dates"),
    (14, 4, "un jeudi sur deux, 4 dates"),
    (1, 5, "tous les jours, 5 dates"),
    (28, 3, "le jeudi, 3 dates"),
    (3, 4, "4 dates"),
    (7, 1, ""),
])
def test_rhythm(days: int, count: int, expected: str) -> None:
    assert rhythm(every(days, count), PARIS) == expected


def test_rhythm_counts_days_in_the_local_zone() -> None:
    # 23:30 in Paris is already the next day in UTC: still every Thursday
    late = THURSDAY.replace(hour=23, minute=30)
    docs = [{"start": (late + timedelta(days=7 * n)).astimezone(UTC).isoformat()}
            for n in range(3)]
    assert rhythm(docs, PARIS) == "tous les jeudis, 3 dates"


def test_irregular_gaps_on_the_same_weekday() -> None:
    docs = [doc("e", THURSDAY + timedelta(days=d), n) for n, d in enumerate((0, 7, 21))]
    assert rhythm(docs, PARIS) == "le jeudi, 3 dates"


class Store:
    """Only what :func:`fold` reads: the dates of an event."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    async def event_docs(self, event_id: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["event_id"] == event_id]


async def test_fold_keeps_one_card_per_series_at_its_next_date() -> None:
    weekly = every(7, 10)
    single = doc("other", THURSDAY + timedelta(hours=1))
    page = [weekly[0], single, weekly[1], weekly[2]]  # the page saw three of the ten
    folded = await fold(Store([*weekly, single]), page, PARIS,  # type: ignore[arg-type]
                        now=THURSDAY - timedelta(days=1))
    assert [d["id"] for d in folded] == ["e-0", "other-0"]
    assert folded[0]["series"] == "tous les jeudis, 10 dates"
    assert "series" not in folded[1]


async def test_fold_counts_only_dates_to_come() -> None:
    weekly = every(7, 10)
    folded = await fold(Store(weekly), weekly[4:7], PARIS,  # type: ignore[arg-type]
                        now=THURSDAY + timedelta(days=27))
    assert folded[0]["id"] == "e-4"
    assert folded[0]["series"] == "tous les jeudis, 6 dates"
