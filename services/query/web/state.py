"""The state of a web page in its URL: the search filters, the view, the period shown.

The filters are exactly the API's parameters (``q``, ``theme``, ``quartier``, ``from``...),
so the same query string serves the page, ``/v1/events.ics`` and ``/v1/events.rss``. The
"Quand ?" shortcuts are rolling periods (``period=weekend``) that the server resolves at each
request, so a subscription or a widget made from them stays current; dates typed in the
form (``from``, ``to``) take precedence over a period. The page
adds its own: ``vue`` (liste, calendrier, semaine, carte), ``mois`` (``2026-12``) and
``semaine`` (any day of the week shown), and ``autour`` (the address a visitor gave for
``near``, shown instead of coordinates). Empty form fields and unknown parameters (tracking
tags and the like) are dropped instead of being refused: a visitor never gets a 400 for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from multidict import MultiDict, MultiMapping

from services.query.params import KNOWN, period_days

from . import fr

VIEWS = ("liste", "calendrier", "semaine", "carte")
#: Filter parameters kept in links (the API's, minus paging and presentation).
FILTERS = tuple(sorted(KNOWN - {"cursor", "limit", "sort", "facets", "include_cancelled"}))
#: Order and French names of the filters shown as removable chips.
CHIP_NAMES = {
    "q": "Recherche", "period": "Quand", "theme": "Thème", "quartier": "Quartier",
    "commune": "Commune",
    "accessibility": "Accessibilité", "audience": "Public", "organizer": "Organisateur",
    "source": "Source", "keyword": "Mot-clé", "free": "Gratuit", "from": "À partir du",
    "to": "Jusqu’au", "status": "Statut", "near": "Autour de", "radius_km": "Rayon",
    "bbox": "Zone",
}


@dataclass(frozen=True, slots=True)
class Chip:
    label: str
    remove_url: str


#: Filters whose one value holds commas (coordinates): kept whole, the last one given.
WHOLE = ("near", "bbox")


def split_values(raw: Iterable[str]) -> list[str]:
    values: list[str] = []
    for item in raw:
        values.extend(v.strip() for v in item.split(",") if v.strip())
    return list(dict.fromkeys(values))


class PageState:
    """Filters, view and period of one request, and the URLs that change them."""

    def __init__(self, query: MultiMapping[str], path: str = "/") -> None:
        self.path = path
        self.filters: MultiDict[str] = MultiDict()
        for name in FILTERS:
            raw = query.getall(name, [])
            if name in WHOLE:
                raw = [raw[-1].replace(" ", "")] if raw and raw[-1].strip() else []
            for value in raw if name in WHOLE else split_values(raw):
                self.filters.add(name, value)
        chosen = (query.get("quand") or "").strip()
        if chosen in fr.PERIODS:  # a "Quand ?" button of the form: it replaces any dates
            for name in ("from", "to", "period"):
                self.filters.popall(name, None)
            self.filters.add("period", chosen)
        self.shortcut = chosen in fr.PERIODS
        if "from" in self.filters or "to" in self.filters:
            self.filters.popall("period", None)
        elif self.value("period") not in fr.PERIODS:
            self.filters.popall("period", None)
        near = "near" in self.filters
        self.around = " ".join(query.get("autour", "").split())[:120] if near else ""
        view = query.get("vue", "liste")
        self.view = view if view in VIEWS else "liste"
        self.cursor = (query.get("cursor") or "").strip() or None
        self.month = query.get("mois", "").strip()
        self.week = query.get("semaine", "").strip()

    # -- reading -----------------------------------------------------------------------

    def values(self, name: str) -> list[str]:
        return self.filters.getall(name, [])

    def value(self, name: str) -> str:
        values = self.values(name)
        return values[0] if values else ""

    def date_value(self, name: str) -> str:
        """The day of a date filter as a date field's value (``2026-12-05``), or empty when
        it is not a valid date (the page says why; the field must stay valid HTML)."""
        try:
            return date.fromisoformat(self.value(name)[:10]).isoformat()
        except ValueError:
            return ""

    def has(self, name: str, value: str) -> bool:
        return value in self.values(name)

    @property
    def q(self) -> str:
        return self.value("q")

    @property
    def filtered(self) -> bool:
        return bool(self.filters)

    def search_params(self, **extra: str) -> MultiDict[str]:
        """Parameters for :func:`services.query.params.parse_search`."""
        params = MultiDict(self.filters)
        if "from" in extra or "to" in extra:
            params.popall("period", None)
        for name, value in extra.items():
            params.popall(name, None)
            params[name] = value
        return params

    # -- writing URLs --------------------------------------------------------------------

    def query_string(self, filters: MultiDict[str] | None = None, **page: str | None) -> str:
        pairs = list((filters if filters is not None else self.filters).items())
        pairs += [(k, v) for k, v in page.items() if v]
        return urlencode(pairs)

    def url(self, filters: MultiDict[str] | None = None, *, path: str | None = None,
            **page: str | None) -> str:
        """This page with other filters or page parameters; the view is kept by default."""
        page.setdefault("vue", self.view if self.view != "liste" else None)
        if self.view == "calendrier":
            page.setdefault("mois", self.month or None)
        if self.view == "semaine":
            page.setdefault("semaine", self.week or None)
        if "near" in (filters if filters is not None else self.filters):
            page.setdefault("autour", self.around or None)
        qs = self.query_string(filters, **page)
        return (path or self.path) + (f"?{qs}" if qs else "")

    def with_filter(self, name: str, values: Iterable[str]) -> MultiDict[str]:
        filters = MultiDict((k, v) for k, v in self.filters.items() if k != name)
        for value in values:
            filters.add(name, value)
        return filters

    def toggle_url(self, name: str, value: str) -> str:
        values = self.values(name)
        new = [v for v in values if v != value] if value in values else [*values, value]
        return self.url(self.with_filter(name, new))

    def remove_url(self, name: str, value: str | None = None) -> str:
        keep = [v for v in self.values(name) if value is not None and v != value]
        filters = self.with_filter(name, keep)
        if name == "near":  # a radius means nothing without its centre
            filters.popall("radius_km", None)
        return self.url(filters)

    def view_url(self, view: str) -> str:
        return self.url(vue=view if view != "liste" else None, mois=None, semaine=None)

    def day_url(self, day: str) -> str:
        """The list of one day's events, with the other filters kept."""
        filters = self.with_filter("from", [day])
        filters = MultiDict((k, v) for k, v in filters.items() if k != "to")
        filters.add("to", day)
        return self.url(filters, vue=None, mois=None, semaine=None)

    def clear_url(self) -> str:
        return self.url(MultiDict())

    def feed_url(self, base: str, fmt: str) -> str:
        """The export of the current filters (``ics``, ``rss``): same parameters as the API."""
        qs = self.query_string()
        return f"{base}/v1/events.{fmt}" + (f"?{qs}" if qs else "")

    def chips(self) -> list[Chip]:
        chips = []
        for name, label in CHIP_NAMES.items():
            for value in self.values(name):
                shown = self.around if name == "near" and self.around else chip_value(
                    name, value)
                chips.append(Chip(f"{label} : {shown}",
                                  self.remove_url(name, value)))
        return chips

    @property
    def period(self) -> str:
        return self.value("period")

    def period_first_day(self, today: date) -> date | None:
        """The first day of the rolling period chosen, on ``today``."""
        return period_days(self.period, today)[0] if self.period else None

    def date_presets(self) -> list[tuple[str, str, str, bool]]:
        """``(code, label, url, current)`` of the rolling periods (Aujourd'hui, Ce week-end...),
        the other filters kept, typed dates replaced."""
        out = []
        for code, label in fr.PERIODS.items():
            filters = MultiDict((k, v) for k, v in self.filters.items()
                                if k not in ("from", "to", "period"))
            filters.add("period", code)
            out.append((code, label, self.url(filters), self.period == code))
        return out


def back_url(request: web.Request, list_path: str = "/") -> str:
    """Where "Retour" goes: the list page the visitor came from on this site, with its search,
    filters and view (from the ``Referer``), else the bare list."""
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc == request.host and referer.path == list_path:
        return list_path + (f"?{referer.query}" if referer.query else "")
    return list_path


def chip_value(name: str, value: str) -> str:
    if name == "theme":
        return fr.theme_label(value)
    if name == "accessibility":
        return fr.access_label(value)
    if name == "audience":
        return fr.audience_label(value)
    if name == "free":
        return "oui" if value.lower() in ("true", "1", "oui", "yes") else "non"
    if name in ("from", "to"):
        try:
            return fr.day_label(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if name == "status":
        return fr.status_label(value) or value
    if name == "period":
        return fr.PERIODS.get(value, value).lower()
    if name == "near":
        return "ma position"
    if name == "radius_km":
        return f"{value.replace('.', ',')}\u00a0km"
    return value
