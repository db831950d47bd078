import xml.etree.ElementTree as ET
from datetime import timedelta

from services.monitor.alerts import AlertPolicy, compute, to_json, to_rss
from services.monitor.backlog import BusHealth
from services.monitor.tracker import Policy, Tracker
from tests.unit.monitor.helpers import T0, failed, hours, ok

POLICY = AlertPolicy(lag_threshold=100, lag_for=timedelta(minutes=10))


def kinds(alerts) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.kind for a in alerts]


def test_failing_source_raises_an_alert_in_french_since_its_first_failure() -> None:
    tracker = Tracker(Policy())
    tracker.record(ok())
    tracker.record(failed(kind="http_404", at=T0 + hours(1), message="HTTP 404 from x"))
    alerts = compute(tracker, BusHealth(), POLICY, T0 + hours(2))
    assert kinds(alerts) == ["source_failing"]
    assert "n’existe plus" in alerts[0].detail
    assert alerts[0].since == T0 + hours(1)


def test_stale_source_raises_a_stale_alert() -> None:
    tracker = Tracker(Policy())
    tracker.record(ok())
    assert kinds(compute(tracker, BusHealth(), POLICY, T0 + hours(72))) == ["source_stale"]


def test_lag_alert_waits_for_the_backlog_to_last() -> None:
    bus = BusHealth()
    bus.observe(T0, 500, 0, 0, lag_threshold=100)
    assert kinds(compute(Tracker(), bus, POLICY, T0 + timedelta(minutes=5))) == []
    bus.observe(T0 + timedelta(minutes=11), 600, 0, 0, lag_threshold=100)
    assert kinds(compute(Tracker(), bus, POLICY, T0 + timedelta(minutes=11))) == ["consumer_lag"]


def test_lag_alert_clears_when_the_backlog_drains() -> None:
    bus = BusHealth()
    bus.observe(T0, 500, 0, 0, lag_threshold=100)
    bus.observe(T0 + timedelta(minutes=20), 3, 0, 0, lag_threshold=100)
    assert compute(Tracker(), bus, POLICY, T0 + timedelta(minutes=20)) == []


def test_dead_letters_in_the_last_hour_raise_an_alert() -> None:
    bus = BusHealth()
    bus.observe(T0, 0, 0, 2, lag_threshold=100)
    bus.observe(T0 + timedelta(minutes=30), 0, 0, 5, lag_threshold=100)
    alerts = compute(Tracker(), bus, POLICY, T0 + timedelta(minutes=30))
    assert kinds(alerts) == ["dlq_growth"]
    assert alerts[0].detail.startswith("3 message(s)")


def test_rss_feed_is_well_formed_with_one_item_per_alert() -> None:
    tracker = Tracker(Policy())
    tracker.record(failed("a&b", kind="parse"))
    alerts = compute(tracker, BusHealth(), POLICY, T0 + hours(1))
    root = ET.fromstring(to_rss(alerts, T0 + hours(1), "http://127.0.0.1:8082/"))
    items = root.findall("./channel/item")
    assert len(items) == 1
    assert items[0].findtext("link") == "http://127.0.0.1:8082/source/a&b"


def test_json_feed_counts_alerts() -> None:
    assert to_json([], T0)["count"] == 0
