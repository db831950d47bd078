"""Association tokens, interest declarations and saved-search alerts (part of the call store).

``tokens``     association bearer tokens issued by operators (``maillage token issue``).
               A token reads ``mlg_<id>_<secret>``; only the SHA-256 of the secret is kept,
               and a revoked token is refused.
Interest declarations ("we would like to apply jointly") are records of the store of record
(:mod:`services.associations.interests`), no longer rows here.
``alerts``     a saved search and a subscriber URL; ``last_seq`` is the ``first_seq`` of the
               newest call already delivered, so each new matching call is sent once;
               ``last_error`` is the kind of the last failure (``refused_address``,
               ``http_500``...), never its text (:data:`ERROR_KIND`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.store.sqlite_open import connect_wal

MEMBERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY,
    association TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    token_id TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    query TEXT NOT NULL,
    created TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
"""

TOKEN_PREFIX = "mlg_"
MAX_ALERT_FAILURES = 20
#: what ``last_error`` may hold; anything else (the free text stored by older versions,
#: which could name internal addresses) reads as ``delivery_failed``
ERROR_KIND = re.compile(r"[a-z0-9_]{1,40}")


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: str
    association: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SqliteFile:
    """One SQLite file in WAL mode: a connection per thread, one writer at a time per
    process (a lock), other processes alongside (``busy_timeout``)."""

    def __init__(self, path: Path | str, schema: str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._conn().executescript(schema)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_wal(self.path)
            self._local.conn = conn
        return conn

    def _write(self, fn: Any, *args: Any) -> Any:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn, *args)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return result

    def close_sync(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class MembersMixin:
    """Methods of the call stores for the tables above."""

    if TYPE_CHECKING:  # provided by CallStore

        def _conn(self) -> sqlite3.Connection: ...

        def _write(self, fn: Any, *args: Any) -> Any: ...

    # -- tokens --------------------------------------------------------------------------

    def issue_token(self, association: str) -> tuple[str, str]:
        """A new token for ``association``: (token_id, the token, shown once)."""
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        self._write(lambda c: c.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, NULL)",
            (token_id, association, _hash(secret), _now())))
        return token_id, f"{TOKEN_PREFIX}{token_id}_{secret}"

    def check_token(self, token: str) -> TokenInfo | None:
        """The association of a valid, unrevoked token; ``None`` otherwise."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        token_id, _, secret = token[len(TOKEN_PREFIX):].partition("_")
        row = self._conn().execute(
            "SELECT association, secret_hash, revoked FROM tokens WHERE token_id = ?",
            (token_id,)).fetchone()
        if row is None or row[2] is not None:
            return None
        if not hmac.compare_digest(row[1].encode(), _hash(secret).encode()):
            return None
        return TokenInfo(token_id, row[0])

    def list_tokens(self) -> list[dict[str, Any]]:
        rows = self._conn().execute(
            "SELECT token_id, association, created, revoked FROM tokens ORDER BY created")
        return [{"token_id": r[0], "association": r[1], "created": r[2], "revoked": r[3]}
                for r in rows]

    def revoke_token(self, token_id: str) -> bool:
        cur = self._write(lambda c: c.execute(
            "UPDATE tokens SET revoked = ? WHERE token_id = ? AND revoked IS NULL",
            (_now(), token_id)))
        return bool(cur.rowcount)

    # -- interests -----------------------------------------------------------------------

    @staticmethod
    def _hide_interest(conn: sqlite3.Connection, call_id: str, interest_id: str) -> None:
        """Nothing: interests are records of the store of record now
        (:mod:`services.associations.interests`), hidden there by the ingest service; a
        ``hide_interest`` message left in the stream from before changes nothing here."""

    # -- alerts --------------------------------------------------------------------------

    def add_alert(self, who: TokenInfo, url: str, query: list[tuple[str, str]], last_seq: int
                  ) -> dict[str, Any]:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        alert = {"id": "al_" + secrets.token_hex(8), "url": url, "secret": secret,
                 "query": query, "created": _now()}
        self._write(lambda c: c.execute(
            "INSERT INTO alerts(id, token_id, url, secret, query, created, last_seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (alert["id"], who.token_id, url, alert["secret"], json.dumps(query),
             alert["created"], last_seq)))
        return alert

    def alerts(self, token_id: str | None = None) -> list[dict[str, Any]]:
        """Alerts of one token, or every active alert (for the sender) when ``None``."""
        sql = ("SELECT id, token_id, url, secret, query, created, last_seq, failures, disabled,"
               " last_error FROM alerts ")
        rows = self._conn().execute(
            sql + ("WHERE token_id = ? ORDER BY created" if token_id else
                   "WHERE disabled = 0 ORDER BY created"),
            (token_id,) if token_id else ()).fetchall()
        keys = ("id", "token_id", "url", "secret", "query", "created", "last_seq", "failures",
                "disabled", "last_error")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for alert in out:
            alert["query"] = [tuple(p) for p in json.loads(alert["query"])]
            alert["disabled"] = bool(alert["disabled"])
            alert["last_error"] = _error_kind(alert["last_error"])
        return out

    def delete_alert(self, alert_id: str, token_id: str) -> bool:
        cur = self._write(lambda c: c.execute(
            "DELETE FROM alerts WHERE id = ? AND token_id = ?", (alert_id, token_id)))
        return bool(cur.rowcount)

    def alert_delivered(self, alert_id: str, last_seq: int) -> None:
        self._write(lambda c: c.execute(
            "UPDATE alerts SET last_seq = MAX(last_seq, ?), failures = 0, last_error = NULL"
            " WHERE id = ?", (last_seq, alert_id)))

    def alert_failed(self, alert_id: str, kind: str) -> None:
        """Count a failure of kind ``kind`` (a code such as ``dns``, not a message)."""
        self._write(lambda c: c.execute(
            "UPDATE alerts SET failures = failures + 1, last_error = ?,"
            " disabled = (failures + 1 >= ?) WHERE id = ?",
            (_error_kind(kind), MAX_ALERT_FAILURES, alert_id)))


def _error_kind(value: str | None) -> str | None:
    if value is None:
        return None
    return value if ERROR_KIND.fullmatch(value) else "delivery_failed"
