"""Checks of what people send about joint applications, with French messages
(:class:`shared.errors.InvalidInput`, one message per field, every error at once): the
page's forms and the API share them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.applications.model import STATES
from shared.clean import http_url
from shared.errors import InvalidInput
from shared.taxonomy import THEME_BY_CODE

MAX_TITLE = 150
MAX_SUMMARY = 3000
MAX_WANTED = 1500
MAX_MESSAGE = 1000
MAX_SKILLS = 10
MAX_SKILL = 60
MAX_FUNDER = 150
MAX_BUDGET = 100_000_000
PARIS = ZoneInfo("Europe/Paris")
#: The twelve quartiers of Rennes, as the events' geocoder names them.
QUARTIERS = (
    "Centre", "Thabor - Saint-Hélier - Alphonse Guérin - Baud-Chardonnet",
    "Bourg l'Evesque - La Touche - Moulin du Comte", "Saint Martin",
    "Maurepas - Bellangerais", "Jeanne d'Arc - Longs Champs - Beaulieu",
    "Francisco Ferrer - Landry - Poterie", "Sud gare",
    "Cleunay - Arsenal - Redon - La Courrouze", "Villejean - Beauregard", "Le Blosne",
    "Bréquigny",
)
#: Characters no text keeps: controls but tab and newline, lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def text(data: Mapping[str, Any], key: str) -> str:
    """One line of text: blanks collapsed."""
    value = data.get(key)
    return " ".join(_CONTROL.sub(" ", value).split()) if isinstance(value, str) else ""


def paragraphs(data: Mapping[str, Any], key: str) -> str:
    """Several lines of plain text (shown escaped, never as HTML): controls dropped, each
    line's blanks collapsed, at most one empty line in a row."""
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    lines = [" ".join(line.split()) for line in _CONTROL.sub(" ", value.replace("\r\n", "\n"))
             .replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _values(data: Mapping[str, Any], key: str) -> list[str]:
    getall = getattr(data, "getall", None)
    raw = getall(key, []) if getall is not None else data.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    return [str(v).strip() for v in raw if isinstance(v, str) and v.strip()]


def _budget(raw: str, errors: dict[str, str], key: str) -> int | None:
    if not raw:
        return None
    digits = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").removesuffix("€")
    if not digits.isdigit() or int(digits) > MAX_BUDGET:
        errors[key] = "Indiquez un montant en euros, en chiffres (par exemple 5000)."
        return None
    return int(digits)


def deadline_of(raw: str, now: datetime | None = None) -> str:
    """A date (``AAAA-MM-JJ``, the end of that day in Rennes) or an ISO date-time, in the
    future, as ISO 8601 with offset; :class:`ValueError` otherwise."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            when = datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(),
                                    time(23, 59), PARIS)
        else:
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:
                when = when.replace(tzinfo=PARIS)
    except ValueError as exc:
        raise ValueError("not a date") from exc
    if when <= (now or datetime.now(UTC)):
        raise ValueError("in the past")
    return when.isoformat()


def application_form(data: Mapping[str, Any], *, known_call: bool,
                     now: datetime | None = None) -> dict[str, Any]:
    """The fields of an application (for a call Maillage knows, ``known_call``: its funder
    and deadline come from the call; else ``funder``, ``deadline`` and ``link`` are asked)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {"title": text(data, "title"), "summary": paragraphs(data, "summary"),
                           "wanted": paragraphs(data, "wanted")}
    if not out["title"]:
        errors["title"] = "Donnez un titre au projet."
    elif len(out["title"]) > MAX_TITLE:
        errors["title"] = f"Le titre doit faire au plus {MAX_TITLE} caractères."
    if not out["summary"]:
        errors["summary"] = "Résumez le projet en quelques lignes."
    elif len(out["summary"]) > MAX_SUMMARY:
        errors["summary"] = f"Le résumé doit faire au plus {MAX_SUMMARY} caractères."
    if len(out["wanted"]) > MAX_WANTED:
        errors["wanted"] = f"Ce texte doit faire au plus {MAX_WANTED} caractères."
    themes = _values(data, "themes")
    if any(t not in THEME_BY_CODE for t in themes):
        errors["themes"] = "Choisissez les thèmes dans la liste."
    out["themes"] = list(dict.fromkeys(themes))
    quartiers = _values(data, "quartiers")
    if any(q not in QUARTIERS for q in quartiers):
        errors["quartiers"] = "Choisissez les quartiers dans la liste."
    out["quartiers"] = list(dict.fromkeys(quartiers))
    raw_skills = data.get("skills")
    skills = [" ".join(s.split()) for s in re.split(r"[,\n]", raw_skills)
              if s.strip()] if isinstance(raw_skills, str) else _values(data, "skills")
    if len(skills) > MAX_SKILLS or any(len(s) > MAX_SKILL for s in skills):
        errors["skills"] = (f"Au plus {MAX_SKILLS} compétences, de {MAX_SKILL} caractères "
                            "chacune.")
    out["skills"] = list(dict.fromkeys(skills))
    low = _budget(text(data, "budget_min"), errors, "budget_min")
    high = _budget(text(data, "budget_max"), errors, "budget_max")
    if low is not None and high is not None and low > high:
        errors["budget_max"] = "Le montant maximal doit être au moins le montant minimal."
    out["budget_min"], out["budget_max"] = low, high
    if not known_call:
        out["funder"] = text(data, "funder")
        if not out["funder"] or len(out["funder"]) > MAX_FUNDER:
            errors["funder"] = (f"Indiquez le financeur (au plus {MAX_FUNDER} "
                                "caractères).")
        try:
            out["deadline"] = deadline_of(text(data, "deadline"), now)
        except ValueError:
            errors["deadline"] = "Indiquez la date limite, à venir, au format AAAA-MM-JJ."
        link = text(data, "link")
        out["link"] = http_url(link) or "" if link else ""
        if link and not out["link"]:
            errors["link"] = "Indiquez l’adresse de l’appel, par exemple https://…"
    if errors:
        raise InvalidInput(errors)
    return out


def message_form(data: Mapping[str, Any]) -> str:
    message = paragraphs(data, "message")
    if not message:
        raise InvalidInput({"message": "Dites en quelques mots ce que votre association "
                                       "apporterait."})
    if len(message) > MAX_MESSAGE:
        raise InvalidInput({"message": f"Le message doit faire au plus {MAX_MESSAGE} "
                                       "caractères."})
    return message


def state_of(raw: Any) -> str:
    if raw not in STATES:
        raise InvalidInput({"state": "État inconnu."})
    return str(raw)
