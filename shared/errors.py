"""One exception tree for Maillage.

    MaillageError
    ├── TransientError        retry later: network down, server busy, store locked
    │   └── FetchTransient    a fetch failed in a way that may pass (timeout, 5xx, 429)
    └── PermanentError        retrying will not help: bad input, refused address
        ├── ConfigError       a setting or sources file is invalid
        ├── FetchRefused      the SSRF guard, a scheme, a size cap or robots.txt refused a fetch
        ├── FetchFailed       the server answered with a permanent error (404, 410, ...)
        ├── ParseError        a document cannot be read as the format it claims
        ├── InvalidMessage    a bus message cannot be decoded (poison)
        ├── RejectedMessages  the store refused some messages of a batch for their content
        └── InvalidInput      a form or request a person sent (field -> French message)

Third-party errors are translated at the boundary with ``raise X from exc``. Each error has a
short ``kind`` (for status records and metrics) and a message meant for people; the monitor
shows the message to operators.
"""

from __future__ import annotations


class MaillageError(Exception):
    """Base of every error raised on purpose by Maillage."""

    kind = "error"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind


class TransientError(MaillageError):
    """A failure that may pass: try again later."""

    kind = "transient"


class PermanentError(MaillageError):
    """A failure that will not pass by retrying."""

    kind = "permanent"


class ConfigError(PermanentError):
    kind = "config"


class FetchTransient(TransientError):
    """A fetch that may succeed later; ``retry_after`` is in seconds when the server said."""

    kind = "fetch"

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, kind=kind)
        self.status = status
        self.retry_after = retry_after


class FetchRefused(PermanentError):
    kind = "refused"


class FetchFailed(PermanentError):
    kind = "http"

    def __init__(self, message: str, *, kind: str | None = None, status: int | None = None):
        super().__init__(message, kind=kind)
        self.status = status


class ParseError(PermanentError):
    kind = "parse"


class InvalidMessage(PermanentError):
    kind = "invalid_message"


class RejectedMessages(PermanentError):
    """The store refused some messages of a batch for their content (an Elasticsearch
    mapping error on one document, say) and left the store as it was before them; the
    caller dead-letters them and applies the others again. ``reasons`` maps the index of
    each refused message in the batch to why."""

    kind = "rejected"

    def __init__(self, reasons: dict[int, str]) -> None:
        first = next(iter(reasons.values()), "")
        super().__init__(f"{len(reasons)} message(s) refused by the store: {first}")
        self.reasons = reasons


class InvalidInput(PermanentError):
    """What a person sent cannot be used: ``errors`` maps each field to a French message."""

    kind = "invalid_input"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
