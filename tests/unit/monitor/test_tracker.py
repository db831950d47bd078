from services.harvester.sources import Source
from services.monitor.tracker import Policy, Tracker
from tests.unit.monitor.helpers import T0, failed, hours, ok, skipped

POLICY = Policy(failing_after=3, max_errors=10)


def tracker_with(*statuses) -> Tracker:  # type: ignore[no-untyped-def]
    tracker = Tracker(POLICY)
    for status in statuses:
        tracker.record(status)
    return tracker


ONE_HOUR_LATER = T0 + hours(1)


def state(tracker: Tracker, now=ONE_HOUR_LATER) -> str:  # type: ignore[no-untyped-def]
    return tracker.summary(now)[0]["state"]


def test_source_never_harvested_is_unknown_when_listed_in_the_sources_file() -> None:
    tracker = Tracker(POLICY)
    tracker.set_sources([Source(id="velo", url="https://velo.example/a.ics")])
    assert state(tracker) == "unknown"


def test_successful_harvest_is_ok() -> None:
    assert state(tracker_with(ok())) == "ok"


def test_one_timeout_after_successes_is_degraded() -> None:
    assert state(tracker_with(ok(), failed(at=T0 + hours(0.5)))) == "degraded"


def test_three_timeouts_in_a_row_are_failing() -> None:
    tracker = tracker_with(ok(), *(failed(at=T0 + hours(i)) for i in (1, 2, 3)))
    assert state(tracker, T0 + hours(4)) == "failing"


def test_a_document_that_is_not_a_calendar_is_failing_at_once() -> None:
    tracker = tracker_with(ok(), failed(kind="parse", at=T0 + hours(0.5),
                                        message="not an iCalendar document"))
    row = tracker.summary(T0 + hours(1))[0]
    assert row["state"] == "failing"
    assert "calendrier lisible" in row["reasons"][0]
    assert row["last_error"]["detail"] == "not an iCalendar document"
    assert row["events"] == 10  # the previous count stays


def test_max_errors_in_a_row_is_disabled() -> None:
    tracker = tracker_with(*(failed(at=T0 + hours(i)) for i in range(10)))
    assert state(tracker, T0 + hours(11)) == "disabled"


def test_source_disabled_in_the_shared_state_is_disabled() -> None:
    tracker = tracker_with(ok())
    tracker.set_states({"velo": {"disabled": True, "next_check": None}})
    assert state(tracker) == "disabled"


def test_success_after_failures_resets_to_ok() -> None:
    tracker = tracker_with(*(failed(at=T0 + hours(i)) for i in range(4)), ok(at=T0 + hours(5)))
    assert state(tracker, T0 + hours(5.5)) == "ok"


def test_no_success_for_longer_than_stale_after_is_degraded_and_stale() -> None:
    tracker = tracker_with(ok(at=T0))
    row = tracker.summary(T0 + hours(49))[0]
    assert (row["state"], row["stale"]) == ("degraded", True)


def test_stale_threshold_is_at_least_three_intervals() -> None:
    tracker = tracker_with(ok(at=T0))
    tracker.set_sources([Source(id="velo", url="u://", interval=86400)])
    assert tracker.summary(T0 + hours(60))[0]["stale"] is False


def test_events_falling_to_half_is_degraded_with_the_counts() -> None:
    tracker = tracker_with(ok(found=40), ok(found=12, at=T0 + hours(1)))
    row = tracker.summary(T0 + hours(1.5))[0]
    assert row["state"] == "degraded"
    assert "40 → 12" in row["reasons"][0]


def test_trend_is_the_change_over_recent_successes() -> None:
    tracker = tracker_with(ok(found=10), failed(at=T0 + hours(1)), ok(found=14, at=T0 + hours(2)))
    assert tracker.summary(T0 + hours(2.5))[0]["trend"] == 4


def test_skipped_items_come_from_the_last_harvest_that_read_a_document() -> None:
    tracker = tracker_with(
        ok(skipped=(skipped("no start date", "Atelier vélo"),)),
        ok(at=T0 + hours(1), not_modified=True),
    )
    items = tracker.get("velo").skipped()  # type: ignore[union-attr]
    assert items == [{"uid": None, "title": "Atelier vélo", "reason": "no start date",
                      "reason_fr": "Événement sans date de début."}]


def test_counts_group_sources_by_state() -> None:
    tracker = tracker_with(ok("a"), failed("b", kind="http_404"))
    counts = tracker.counts(T0 + hours(1))
    assert (counts["ok"], counts["failing"]) == (1, 1)
