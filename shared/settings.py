"""Settings: one table per service, read from the environment once and passed explicitly.

Each service declares a tuple of :class:`Setting` (name, default, parser, help) and calls
:func:`load` at start-up with ``os.environ``; the resulting :class:`Settings` is handed to the
code that needs it, never read from a global. ``tests/unit/test_settings_documented.py``
checks that every setting of every table appears in the README.

Values are parsed by small functions (:func:`as_int`, :func:`as_bool`, ...) that raise
:class:`~shared.errors.ConfigError` with the setting's name on bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.errors import ConfigError

Parser = Callable[[str], Any]


def as_str(raw: str) -> str:
    return raw


def as_int(raw: str) -> int:
    return int(raw)


def as_float(raw: str) -> float:
    return float(raw)


def as_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


def as_port(raw: str) -> int:
    port = int(raw)
    if not 0 <= port <= 65535:
        raise ValueError(f"port out of range: {port}")
    return port


def as_choice(*choices: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return raw

    return parse


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its environment name, default (as text), parser and help."""

    name: str
    default: str
    help: str
    parse: Parser = as_str

    @property
    def key(self) -> str:
        """The attribute name: the env name lower-cased, without the ``MAILLAGE_`` prefix."""
        return self.name.removeprefix("MAILLAGE_").lower()


class Settings:
    """Parsed settings with attribute access (``settings.http_port``)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"no setting {key!r}") from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (for tests and for ``maillage run``)."""
        unknown = set(changes) - set(self._values)
        if unknown:
            raise AttributeError(f"no setting {sorted(unknown)}")
        return Settings({**self._values, **changes})

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


def load(table: Iterable[Setting], environ: Mapping[str, str]) -> Settings:
    """Read every setting of ``table`` from ``environ``, falling back to its default."""
    values: dict[str, Any] = {}
    for setting in table:
        raw = environ.get(setting.name, setting.default)
        try:
            values[setting.key] = setting.parse(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{setting.name}: {exc}") from exc
    return Settings(values)


def data_path(settings: Settings, *parts: str) -> Path:
    """A path under the data directory, created if needed."""
    base = Path(settings.data_dir)
    path = base.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


COMMON: tuple[Setting, ...] = (
    Setting("MAILLAGE_DATA_DIR", "var", "Directory holding all state (NATS store, index, logs)."),
    Setting("MAILLAGE_NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated."),
    Setting(
        "MAILLAGE_NATS_REPLICAS",
        "1",
        "Replicas of each stream and bucket (3 on a NATS cluster).",
        as_int,
    ),
    Setting("MAILLAGE_TIMEZONE", "Europe/Paris", "Timezone for floating times and day boundaries."),
    Setting("LOG_FORMAT", "text", "Log format: text or json.", as_choice("text", "json")),
    Setting(
        "LOG_LEVEL",
        "INFO",
        "Log level (DEBUG, INFO, WARNING, ERROR).",
        as_choice("DEBUG", "INFO", "WARNING", "ERROR"),
    ),
)
