"""Settings of accounts: sign-in links, sessions and outgoing mail (read by the site process)."""

from __future__ import annotations

from shared.bus import SIGNIN_WINDOW_S
from shared.settings import Setting, as_bool, as_choice, as_int, as_port


def as_positive(raw: str) -> int:
    value = as_int(raw)
    if value < 1:
        raise ValueError(f"expected a number >= 1, got {value}")
    return value


def as_link_minutes(raw: str) -> int:
    value = int(raw)
    if value * 60 < SIGNIN_WINDOW_S:
        raise ValueError(f"expected at least {SIGNIN_WINDOW_S // 60} minutes, got {value}")
    return value


ACCOUNT_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MAILLAGE_DEMO",
        "false",
        "Demo mode (set by `maillage run --demo`): demo associations are created at start and "
        "the mail outbox is shown at /demo/courrier. Never on a public site.",
        as_bool,
    ),
    Setting(
        "MAILLAGE_SMTP_HOST",
        "",
        "SMTP server for outgoing mail (sign-in links); empty: mail is written as .eml files "
        "to the outbox <data dir>/outbox instead (the demo's).",
    ),
    Setting("MAILLAGE_SMTP_PORT", "587", "Port of the SMTP server.", as_port),
    Setting(
        "MAILLAGE_SMTP_TLS",
        "starttls",
        "TLS with the SMTP server: starttls (port 587), tls (implicit TLS, port 465) or none "
        "(a relay on localhost only).",
        as_choice("starttls", "tls", "none"),
    ),
    Setting("MAILLAGE_SMTP_USER", "", "SMTP user name (empty: no authentication)."),
    Setting("MAILLAGE_SMTP_PASSWORD", "", "SMTP password."),
    Setting(
        "MAILLAGE_MAIL_FROM",
        "Maillage <ne-pas-repondre@localhost>",
        "Sender of outgoing mail (From header and envelope).",
    ),
    Setting(
        "MAILLAGE_SIGNIN_MINUTES",
        "15",
        "Minutes a sign-in link stays valid (it works once); at least 15, the window of the "
        "per-address limit, so that a refused address always has a working link.",
        as_link_minutes,
    ),
    Setting(
        "MAILLAGE_SESSION_DAYS",
        "30",
        "Days a session lasts after signing in.",
        as_positive,
    ),
)
