"""What every page of every domain that people write through shares: who is signed in, the
CSRF checks, cookies, French error pages and rate limits.

Session cookie ``maillage_session`` = ``<person id>.<secret>`` (HttpOnly, SameSite=Lax, Path=/,
Secure when the site is served over https). Forms carry a CSRF token derived from a secret
the browser holds in an HttpOnly cookie: the session's secret when signed in, else the
``maillage_csrf`` cookie set with the first form. A POST is refused (403) when its token does
not match, when ``Sec-Fetch-Site`` says another site sent it, or when ``Origin`` is not this
site's. :func:`refuse` answers in French for browsers, in the one JSON error shape otherwise.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from multidict import MultiDictProxy
from nats.errors import Error as NatsError

from services.accounts.mail import MailQueue, Outbox
from services.accounts.model import Person, Session
from services.accounts.storage import Hooks, Sessions, SignInLinks, Stores
from services.query.context import SETTINGS
from services.query.errors import ApiError, Handler
from services.query.trust import client_address, forwarded_for
from services.query.web.respond import render
from shared.records import digest
from shared.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "maillage_session"
CSRF_COOKIE = "maillage_csrf"
CSRF_FIELD = "csrf"
#: the request's session (None: anonymous), resolved by :func:`session_middleware`
SESSION: web.RequestKey[Session | None] = web.RequestKey("maillage_session")
#: an anonymous CSRF secret made for this request, set as a cookie on its answer
NEW_CSRF: web.RequestKey[str] = web.RequestKey("maillage_new_csrf", str)
MAX_FORM = 16 * 1024
#: Sign-in requests a replica handles at once (see ``Site.gate``).
GATE = 4
#: Refusals remembered at most (see :func:`limit`).
REFUSED_MAX = 10_000
#: Pages rendered once kept at most (see :func:`page_once`): one per template and context.
RENDERED_MAX = 64
SKIP_PREFIXES = ("/static/", "/assets/", "/healthz", "/metrics")

Ready = Callable[[Stores], Awaitable[object]]
#: A part of the account page another domain adds: (template, its context).
Section = Callable[[web.Request, Session], Awaitable[tuple[str, dict[str, Any]]]]


@dataclass
class Site:
    """Accounts' part of the site application (``app[SITE]``)."""

    settings: Settings
    mail: MailQueue
    outbox: Outbox | None
    hooks: Hooks = field(default_factory=Hooks)
    stores: Stores | None = None
    #: called once connected (demo associations are created there)
    on_ready: list[Ready] = field(default_factory=list)
    #: parts of the account page other domains add (memberships...)
    account_sections: list[Section] = field(default_factory=list)
    #: sign-in requests handled at once: a burst waits here, searches go on meanwhile
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(GATE))
    #: (limit, key) -> monotonic time until which the shared limit refuses it
    refused: dict[tuple[str, str], float] = field(default_factory=dict)
    #: the French "too many requests" page of an anonymous visitor, rendered once
    busy_page: bytes = b""
    #: pages of anonymous visitors rendered once (see :func:`page_once`)
    rendered: dict[tuple[Any, ...], Rendered] = field(default_factory=dict)

    def ready(self) -> Stores:
        if self.stores is None:
            raise Unavailable()
        return self.stores

    @property
    def sessions(self) -> Sessions:
        return Sessions(self.ready(), self.settings.session_days)

    @property
    def links(self) -> SignInLinks:
        return SignInLinks(self.ready(), self.settings.signin_minutes)


SITE = web.AppKey("accounts_site", Site)


class Unavailable(Exception):
    """The store of record cannot be reached (NATS down or not connected yet)."""


def site(request: web.Request) -> Site:
    return request.app[SITE]


def wants_html(request: web.Request) -> bool:
    if request.path.startswith("/v1/"):
        return False
    accept = request.headers.get(hdrs.ACCEPT, "")
    return "text/html" in accept or (not accept and request.method == "POST"
                                     and request.content_type.startswith(
                                         ("application/x-www-form", "multipart/")))


def refuse(request: web.Request, status: int, code: str, message: str, *,
           title: str = "", headers: dict[str, str] | None = None,
           details: dict[str, Any] | None = None,
           back: tuple[str, str] = ("/", "Retour à l’agenda")) -> web.HTTPException:
    """An error for the person: a French page for browsers (with the link ``back``, URL and
    text), the JSON error shape otherwise. Raise what it returns."""
    if not wants_html(request):
        return ApiError(status, message, code=code, details=details, headers=headers)
    response = page(request, "accounts/error.html", status=status,
                    title=title or "Demande refusée", message=message, back=back)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return HTMLError(response)


class HTMLError(web.HTTPException):
    """Carries a finished French error page through the middlewares."""

    def __init__(self, response: web.Response) -> None:
        self.status_code = response.status
        super().__init__()
        self.response = response


# -- sessions ---------------------------------------------------------------------------------

def current(request: web.Request) -> Session | None:
    session: Session | None = request.get(SESSION)
    return session


def person_of(request: web.Request) -> Person | None:
    session = current(request)
    return session.person if session is not None else None


def signed_in(request: web.Request) -> Session:
    """The session, or a redirect to the sign-in page (which comes back here after)."""
    session = current(request)
    if session is None:
        if wants_html(request) or request.method == "GET":
            raise web.HTTPSeeOther("/connexion?" + _next_query(request))
        raise ApiError(401, "sign in first", code="unauthorized")
    return session


def _next_query(request: web.Request) -> str:
    from urllib.parse import urlencode

    return urlencode({"suite": str(request.rel_url)})


def peer_is_proxy(request: web.Request) -> bool:
    """Whether the connection comes from a proxy whose X-Forwarded-* headers are believed
    (``MAILLAGE_TRUSTED_PROXIES``, or any peer with ``MAILLAGE_TRUST_FORWARDED``)."""
    settings = request.app[SETTINGS]
    if settings.trust_forwarded:
        return True
    try:
        peer = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return any(peer in network for network in settings.trusted_proxies)


def secure(request: web.Request) -> bool:
    public = str(request.app[SETTINGS].public_url or "")
    if public.startswith("https://") or request.secure:
        return True
    return (request.headers.get("X-Forwarded-Proto", "") == "https"
            and peer_is_proxy(request))


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
               max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="Lax", secure=secure(request))


def clear_cookie(request: web.Request, response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path="/", secure=secure(request), httponly=True, samesite="Lax")


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the session cookie (pages only: the API and static files never read it), keep
    answers that depend on it out of shared caches, and answer 503 while the store of
    record cannot be reached."""
    if request.path.startswith(SKIP_PREFIXES):
        return await handler(request)
    cookie = request.cookies.get(SESSION_COOKIE) if not request.path.startswith("/v1/") else None
    stale = False
    if cookie:
        try:
            request[SESSION] = await site(request).sessions.resolve(cookie)
        except (Unavailable, NatsError):  # pages that need no account still work
            request[SESSION] = None
        else:
            stale = request[SESSION] is None
    try:
        response = await handler(request)
    except HTMLError as exc:
        response = exc.response
    except (Unavailable, NatsError) as exc:  # not connected yet, or NATS went away
        log.warning("store of record unavailable: %s", str(exc) or type(exc).__name__,
                    extra={"url": str(request.rel_url)})
        error = refuse(request, 503, "unavailable", "Les comptes sont momentanément "
                       "indisponibles. Réessayez dans quelques minutes.",
                       title="Service indisponible", headers={hdrs.RETRY_AFTER: "30"})
        if not isinstance(error, HTMLError):
            raise error from None
        response = error.response
    if stale:
        clear_cookie(request, response, SESSION_COOKIE)
    new_csrf = request.get(NEW_CSRF)
    if new_csrf:
        set_cookie(request, response, CSRF_COOKIE, new_csrf, None)
    if response.content_type == "text/html":
        vary = response.headers.get(hdrs.VARY)
        response.headers[hdrs.VARY] = f"{vary}, Cookie" if vary else "Cookie"
    if cookie or new_csrf or response.headers.get(hdrs.SET_COOKIE):
        response.headers[hdrs.CACHE_CONTROL] = "private, no-store"
    return response


# -- CSRF -------------------------------------------------------------------------------------

def _token_of(secret: str) -> str:
    return digest("csrf:" + secret)[:40]


def csrf_token(request: web.Request) -> str:
    """The token forms of this page carry (a cookie is set for an anonymous visitor)."""
    session = current(request)
    if session is not None:
        return _token_of(session.secret)
    secret = request.cookies.get(CSRF_COOKIE) or request.get(NEW_CSRF)
    if not secret or len(secret) < 32:
        secret = request[NEW_CSRF] = secrets.token_urlsafe(32)
    return _token_of(secret)


def expected_origin(request: web.Request) -> str:
    public = str(request.app[SETTINGS].public_url or "")
    if public:
        parts = urlsplit(public)
        return f"{parts.scheme}://{parts.netloc}"
    scheme = "https" if secure(request) else "http"
    return f"{scheme}://{request.host}"


async def checked_form(request: web.Request) -> MultiDictProxy[str]:
    """The POSTed form, once its origin and CSRF token are checked (else 403)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise refuse(request, 403, "cross_site", "Cette demande vient d’un autre site : "
                     "elle a été refusée.", details={"sec_fetch_site": fetch_site})
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is not None and origin != expected_origin(request):
        raise refuse(request, 403, "cross_site", "Cette demande vient d’un autre site : "
                     "elle a été refusée.", details={"origin": origin})
    if request.content_length is not None and request.content_length > MAX_FORM:
        raise refuse(request, 413, "payload_too_large", "Le formulaire envoyé est trop long.")
    if not request.content_type.startswith(("application/x-www-form-urlencoded",
                                            "multipart/form-data")):
        raise refuse(request, 415, "unsupported_media_type",
                     "Envoyez le formulaire depuis la page du site.")
    form = await request.post()
    sent = form.get(CSRF_FIELD)
    accepted = []
    session = current(request)
    if session is not None:
        accepted.append(_token_of(session.secret))
    anonymous = request.cookies.get(CSRF_COOKIE)
    if anonymous:
        accepted.append(_token_of(anonymous))
    if not isinstance(sent, str) or not any(hmac.compare_digest(sent, t) for t in accepted):
        raise refuse(request, 403, "csrf_failed",
                     "Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page "
                     "et recommencez.", title="Formulaire expiré")
    return form  # type: ignore[return-value]


# -- rate limits --------------------------------------------------------------------------------

async def limit(request: web.Request, name: str, key: str, why: str = "") -> None:
    """Count one hit of ``key`` against the shared limit ``name``; 429 past it (``why``,
    in French, comes before "try again in...").

    A refusal is remembered here until its ``Retry-After``: the limit's stream refuses every
    hit until its oldest message expires, so asking it again before then only costs a round
    trip (a burst of 200 requests is refused without 170 more)."""
    state = site(request)
    memo = (name, key)
    now = time.monotonic()
    refuse_if_remembered(request, name, key, now, why)
    wait = await state.ready().limits[name].hit(key)
    if wait > 0:
        if len(state.refused) >= REFUSED_MAX:
            state.refused = {k: v for k, v in state.refused.items() if v > now}
        state.refused[memo] = now + wait
        raise _too_many(request, wait, why)


def refuse_if_remembered(request: web.Request, name: str, key: str,
                         now: float | None = None, why: str = "") -> None:
    """429 at once when this replica already knows ``key`` is past the limit ``name``:
    nothing asked of NATS, nothing read of the request (its form is not even parsed)."""
    now = time.monotonic() if now is None else now
    state = site(request)
    until = state.refused.get((name, key), 0.0)
    if until <= now:
        return
    retry = str(max(1, math.ceil(until - now)))
    if why or not wants_html(request) or current(request) is not None:
        raise _too_many(request, until - now, why)
    # the rest of a burst: the same page for every anonymous visitor, rendered once
    if not state.busy_page:
        error = refuse(request, 429, "rate_limited", "Trop de demandes en peu de temps\u00a0: "
                       "réessayez dans quelques minutes.", title="Trop de demandes")
        state.busy_page = error.response.body  # type: ignore[attr-defined]
        request.pop(NEW_CSRF, None)  # the page has no form: no cookie to set
    raise HTMLError(web.Response(status=429, body=state.busy_page, headers={
        hdrs.RETRY_AFTER: retry, hdrs.CACHE_CONTROL: "private, no-store"},
        content_type="text/html", charset="utf-8"))


def _too_many(request: web.Request, wait: float, why: str = "") -> web.HTTPException:
    retry = max(1, math.ceil(wait))
    minutes = math.ceil(retry / 60)
    return refuse(request, 429, "rate_limited",
                  (why or "Trop de demandes en peu de temps.") + " Réessayez dans "
                  + (f"{minutes}\u00a0minute{'s' if minutes > 1 else ''}." if retry > 60
                     else f"{retry}\u00a0seconde{'s' if retry > 1 else ''}."),
                  title="Trop de demandes", headers={hdrs.RETRY_AFTER: str(retry)},
                  details={"retry_after": retry})


def client(request: web.Request) -> str:
    settings = request.app[SETTINGS]
    return client_address(request.remote, forwarded_for(request),
                          settings.trusted_proxies, settings.trust_forwarded)


# -- pages --------------------------------------------------------------------------------------

def page(request: web.Request, template: str, *, status: int = 200,
         **context: Any) -> web.Response:
    """A French page of the site's look, never cached by others (it may name the person)."""
    response = render(request, template, status=status, session=current(request),
                      person=person_of(request), csrf=csrf_token(request), **context)
    response.headers[hdrs.CACHE_CONTROL] = "private, no-store"
    return response


#: Where a page rendered once takes its per-request text (see :func:`page_once`).
SLOT = "\x00maillage-slot\x00"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A page rendered once: its status, headers and body cut where the text goes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    parts: tuple[bytes, ...]


def page_once(request: web.Request, template: str, *, slot: str, text: str,
              status: int = 200, **context: Any) -> web.Response:
    """:func:`page` for an anonymous visitor's page that differs between requests only by
    ``text`` (where the template shows ``{{ <slot> }}``): rendered once per template and
    context (hashable values), then ``text``, escaped, put in its place. Rendering a page
    (Jinja, then the French typography of its text) takes milliseconds of the event loop;
    the sign-in confirmation, rendered for each of the requests of a burst the limit lets
    through, held the searches of the same process that long. Only for pages without a form
    (no CSRF token is rendered: a form would be refused) and without the person (a signed-in
    visitor gets :func:`page`); ``text`` is shown as is, without the typography pass (an
    address must read as typed)."""
    if current(request) is not None:
        values: dict[str, Any] = {**context, slot: text}
        return page(request, template, status=status, **values)
    state = site(request)
    key = (template, status, slot, tuple(sorted(context.items())))
    done = state.rendered.get(key)
    if done is None:
        values = {**context, slot: SLOT}
        response = render(request, template, status=status, session=None, person=None,
                          csrf="", **values)
        headers = tuple((k, v) for k, v in response.headers.items()
                        if k not in (hdrs.CONTENT_LENGTH, hdrs.CONTENT_TYPE))
        body = response.body
        assert isinstance(body, bytes)
        done = Rendered(status, headers, tuple(body.split(SLOT.encode())))
        if len(state.rendered) < RENDERED_MAX:
            state.rendered[key] = done
    value = html.escape(text).encode()
    response = web.Response(status=done.status, body=value.join(done.parts),
                            content_type="text/html", charset="utf-8")
    response.headers.extend(done.headers)
    response.headers[hdrs.CACHE_CONTROL] = "private, no-store"
    return response


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)
