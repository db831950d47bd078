"""HTML responses of the web page: templates, security headers, versioned static URLs.

Every page sends a Content-Security-Policy: scripts, styles, fonts and frames only from this
site (no inline script or style), images from this site and the map tile host only, forms
posting here only. Pages may be framed by this site only, except the widget, which any site
may frame (``frame-ancestors *``): that is its purpose.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from services.query.context import SETTINGS, TZ
from services.query.errors import HTML_ERRORS

from . import fr

HERE = Path(__file__).parent
STATIC = HERE / "static"
JINJA = web.AppKey("jinja", jinja2.Environment)
WEB_CONFIG = web.AppKey("web_config", dict)

DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "© les contributeurs d’OpenStreetMap"
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"


def tile_origin(url: str) -> str | None:
    """The origin of a tile URL pattern for ``img-src`` (``{s}`` subdomains become ``*``)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("{s}", "*")
    if "{" in host or "}" in host or " " in host or ";" in host:
        return None
    return f"{parts.scheme}://{host}"


def csp(tile_url: str, *, framed_anywhere: bool = False) -> str:
    origin = tile_origin(tile_url) if tile_url else None
    img = "img-src 'self' data:" + (f" {origin}" if origin else "")
    ancestors = "*" if framed_anywhere else "'self'"
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'", img,
        "font-src 'self'", "connect-src 'self'", "frame-src 'self'", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", f"frame-ancestors {ancestors}",
    ))


def web_config(settings: Any) -> dict[str, Any]:
    """Map settings (``MAILLAGE_TILE_URL``, ``MAILLAGE_TILE_ATTRIBUTION``) with defaults, and the
    two policies built from them."""
    tile_url = str(getattr(settings, "tile_url", DEFAULT_TILE_URL) or "")
    if tile_url and tile_origin(tile_url) is None:
        tile_url = ""  # a pattern we cannot allow in the CSP: no map, the list of places stays
    attribution = str(getattr(settings, "tile_attribution", DEFAULT_TILE_ATTRIBUTION) or "")
    return {
        "tile_url": tile_url,
        "tile_attribution": attribution,
        "tile_attribution_url": OSM_COPYRIGHT if "openstreetmap" in tile_url else "",
        "csp": csp(tile_url),
        "csp_widget": csp(tile_url, framed_anywhere=True),
    }


def static_versions() -> dict[str, str]:
    """A short content hash per static file, appended to its URL so it can be cached long."""
    versions = {}
    for path in STATIC.rglob("*"):
        if path.is_file():
            digest = hashlib.blake2b(path.read_bytes(), digest_size=5).hexdigest()
            versions[path.relative_to(STATIC).as_posix()] = digest
    return versions


def machine_time(value: str | datetime) -> str:
    """A ``<time datetime>`` value: ISO 8601 to the second (HTML allows at most three digits
    of a fraction of a second; stored times may carry six)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.isoformat(timespec="seconds")


def make_env(tz: ZoneInfo) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        undefined=jinja2.ChainableUndefined,  # a field a document lacks renders empty
    )
    versions = static_versions()

    def static_url(name: str) -> str:
        version = versions.get(name)
        return f"/static/{name}" + (f"?v={version}" if version else "")

    def today() -> date:
        return datetime.now(tz).date()

    env.globals["static"] = static_url
    env.filters.update({
        "hours": lambda item: fr.hours(item, tz),
        "period": lambda item: fr.period(item, tz, today()),
        "day": lambda value: fr.day_label(value, today()),
        "theme": fr.theme_label,
        "access": fr.access_label,
        "audience": fr.audience_label,
        "status": fr.status_label,
        "place": fr.place_label,
        "count": fr.count_label,
        "iso_start": lambda item: machine_time(fr.bounds(item, tz)[0]),
        "machine_time": machine_time,
    })
    return env


def setup_templates(app: web.Application) -> None:
    app[JINJA] = make_env(app[TZ])
    app[WEB_CONFIG] = web_config(app[SETTINGS])
    app[HTML_ERRORS] = error_page


#: The French error pages for browsers: status -> (heading, text).
ERROR_PAGES = {
    404: ("Page introuvable", "Cette adresse ne correspond à aucune page de Maillage : elle a "
          "peut-être été mal copiée, ou la page a été déplacée."),
    405: ("Action impossible", "Cette page ne peut pas être utilisée de cette façon."),
    429: ("Trop de demandes", "Vous avez fait beaucoup de demandes en peu de temps : patientez "
          "une minute, puis réessayez."),
    500: ("Erreur inattendue", "Une erreur s’est produite de notre côté. Réessayez dans un "
          "instant ; si elle revient, prévenez l’équipe de Maillage."),
    503: ("Service momentanément indisponible", "Cette partie du site est momentanément "
          "indisponible. Réessayez dans quelques minutes."),
}
OTHER_ERROR = ("Demande impossible", "Cette demande ne peut pas aboutir.")


def error_page(request: web.Request, status: int) -> web.Response:
    """The French HTML page of an error, for a browser (:func:`errors.error_middleware`)."""
    heading, text = ERROR_PAGES.get(status, ERROR_PAGES[500] if status >= 500 else OTHER_ERROR)
    return render(request, "error.html", status=status, heading=heading, text=fr.typo(text),
                  status_code=status)


def render(
    request: web.Request, template: str, *, status: int = 200, widget: bool = False,
    **context: Any,
) -> web.Response:
    config = request.app[WEB_CONFIG]
    html = fr.typo_html(request.app[JINJA].get_template(template).render(
        config=config, request=request, **context))
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = config["csp_widget" if widget else "csp"]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if not widget:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
