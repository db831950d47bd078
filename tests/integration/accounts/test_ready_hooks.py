"""A start-up hook the store of record does not answer (NATS restarting under ``maillage
run``) is tried again, with one log line per attempt and no traceback."""

from __future__ import annotations

import logging
from typing import Any

import nats.errors
import pytest

import services.accounts as accounts
from services.accounts.web import Site
from shared.bus import Bus


async def test_a_hook_nats_did_not_answer_is_tried_again_without_a_traceback(
        bus: Bus, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "HOOK_RETRY_S", 0.01)
    calls: list[int] = []

    async def seed(stores: Any) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise nats.errors.TimeoutError

    state = Site(settings=None, mail=None, outbox=None)  # type: ignore[arg-type]
    state.on_ready.append(seed)
    with caplog.at_level(logging.INFO, logger="services.accounts"):
        await accounts._ready(state, bus)
    assert len(calls) == 3
    assert state.stores is not None
    attempts = [r for r in caplog.records if "did not answer" in r.getMessage()]
    assert len(attempts) == 2 and all(r.exc_info is None for r in attempts)
    assert not any(r.exc_info for r in caplog.records)


async def test_a_hook_that_fails_otherwise_is_logged_once(
        bus: Bus, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def broken(stores: Any) -> None:
        calls.append(1)
        raise ValueError("a bug")

    state = Site(settings=None, mail=None, outbox=None)  # type: ignore[arg-type]
    state.on_ready.append(broken)
    with caplog.at_level(logging.INFO, logger="services.accounts"):
        await accounts._ready(state, bus)
    assert calls == [1] and state.stores is not None
    assert [r.getMessage() for r in caplog.records if r.exc_info] == ["start-up hook failed"]
