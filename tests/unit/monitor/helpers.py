"""Small builders for monitor tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.model import HarvestStatus, Skipped

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def ok(source_id: str = "velo", found: int = 10, at: datetime = T0, **kw: object) -> HarvestStatus:
    return HarvestStatus(source_id=source_id, url=f"https://{source_id}.example/agenda.ics",
                         started=at, duration_ms=120, ok=True, http_status=200,
                         body_bytes=2048, found=found, **kw)  # type: ignore[arg-type]


def failed(source_id: str = "velo", kind: str = "timeout", at: datetime = T0,
           message: str = "timed out for https://velo.example/agenda.ics") -> HarvestStatus:
    return HarvestStatus(source_id=source_id, url=f"https://{source_id}.example/agenda.ics",
                         started=at, duration_ms=30000, ok=False, error_kind=kind,
                         error_message=message, found=10)


def skipped(reason: str, title: str | None = None) -> Skipped:
    return Skipped(reason=reason, title=title)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
