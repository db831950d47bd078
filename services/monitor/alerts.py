"""Alerts for operators without Prometheus: the same conditions as ``deploy/prometheus``'s
rules, computed by the monitor and served as JSON and RSS.

* ``source_failing``: a source is in the ``failing`` state;
* ``source_stale``: an enabled source has had no successful harvest for too long;
* ``consumer_lag``: the indexer's backlog stayed above the threshold for ``lag_for``;
* ``dlq_growth``: messages were dead-lettered within the last ``dlq_window``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from services.monitor.backlog import BusHealth
from services.monitor.errors_fr import error_fr
from services.monitor.tracker import Tracker
from shared.clean import xml_text


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    lag_threshold: int = 1000
    lag_for: timedelta = timedelta(minutes=10)
    dlq_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    kind: str
    severity: str
    title: str
    detail: str
    since: datetime
    source_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "source_id": self.source_id,
            "title": self.title,
            "detail": self.detail,
            "since": self.since.isoformat(),
        }


def compute(
    tracker: Tracker, bus: BusHealth, policy: AlertPolicy, now: datetime | None = None
) -> list[Alert]:
    moment = now or datetime.now(UTC)
    alerts: list[Alert] = []
    for health in sorted(tracker.sources.values(), key=lambda h: h.source_id):
        state = health.state(tracker.policy, moment)
        last = health.last
        if state == "failing" and last is not None:
            first_failure = list(health.history)[-health.consecutive_failures].started
            alerts.append(Alert(
                id=f"source_failing:{health.source_id}",
                kind="source_failing",
                severity="warning",
                source_id=health.source_id,
                title=f"Source en échec : {health.source_id}",
                detail=f"{error_fr(last.error_kind)} ({last.error_message or 'sans détail'})",
                since=first_failure,
            ))
        if state not in ("disabled", "failing") and health.is_stale(tracker.policy, moment):
            since = (health.last_success or health.history[0]).started
            alerts.append(Alert(
                id=f"source_stale:{health.source_id}",
                kind="source_stale",
                severity="warning",
                source_id=health.source_id,
                title=f"Source figée : {health.source_id}",
                detail=" ".join(health.reasons(tracker.policy, moment)),
                since=since,
            ))
    if bus.lag_since is not None and moment - bus.lag_since >= policy.lag_for:
        alerts.append(Alert(
            id="consumer_lag:indexer",
            kind="consumer_lag",
            severity="critical",
            title="L'indexeur prend du retard",
            detail=f"{bus.pending} messages attendent d'être indexés (seuil "
                   f"{policy.lag_threshold}) : l'indexeur est-il arrêté, ou le moteur de "
                   "recherche indisponible ?",
            since=bus.lag_since,
        ))
    growth = bus.dlq_growth(moment, policy.dlq_window)
    if growth > 0:
        alerts.append(Alert(
            id="dlq_growth",
            kind="dlq_growth",
            severity="warning",
            title="Messages rejetés par l'indexeur",
            detail=f"{growth} message(s) mis de côté (file des rejets) dans la dernière heure, "
                   f"{bus.dlq} au total : « maillage dlq list » les montre, "
                   "« maillage dlq replay » les rejoue après correction.",
            since=moment - policy.dlq_window,
        ))
    return alerts


def to_json(alerts: list[Alert], now: datetime) -> dict[str, Any]:
    return {"generated": now.isoformat(), "count": len(alerts),
            "alerts": [a.to_dict() for a in alerts]}


def _xml(text: str) -> str:
    """Escaped, without what XML 1.0 forbids: an error's text is the source's own words,
    and one control character would make the whole feed unreadable."""
    return escape(xml_text(text))


def to_rss(alerts: list[Alert], now: datetime, link: str) -> str:
    """An RSS 2.0 feed; an alert's guid changes when it starts again, so readers notice."""
    items = "".join(
        "<item>"
        f"<title>{_xml(a.title)}</title>"
        f"<description>{_xml(a.detail)}</description>"
        f"<link>{_xml(link + ('source/' + a.source_id if a.source_id else 'alerts'))}</link>"
        f"<guid isPermaLink=\"false\">{_xml(a.id)}@{int(a.since.timestamp())}</guid>"
        f"<pubDate>{format_datetime(a.since.astimezone(UTC), usegmt=True)}</pubDate>"
        f"<category>{_xml(a.severity)}</category>"
        "</item>"
        for a in alerts
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0"><channel>'
        "<title>Maillage — alertes</title>"
        f"<link>{_xml(link)}</link>"
        "<description>Alertes du moissonnage de Maillage</description>"
        "<language>fr</language>"
        f"<lastBuildDate>{format_datetime(now.astimezone(UTC), usegmt=True)}</lastBuildDate>"
        f"{items}</channel></rss>"
    )
