"""HTTP behaviour shared by every route: CORS, conditional GETs, caching, gzip, rate limit.

Middlewares, outermost first (see :func:`middlewares`):

``cors_middleware``
    ``Access-Control-Allow-Origin: *`` on the API, exports and OpenAPI (errors included, so a
    browser client can read them), and answers ``OPTIONS`` preflights there with 204.
``error_middleware``
    The one error shape (:mod:`services.query.errors`) for whatever is raised below; a French
    HTML page instead for a browser asking for a page.
``host_middleware``
    A ``Host`` outside ``MAILLAGE_ALLOWED_HOSTS`` is refused (:mod:`services.query.trust`).
``normalize_path_middleware``
    A path that exists without its trailing slash (``/integrer/``) is redirected there.
``rate_limit_middleware``
    A token bucket per client IP (behind trusted proxies, the client's address from
    ``X-Forwarded-For``: :func:`services.query.trust.client_address`); answers 429 with
    ``Retry-After`` in the one error shape.
``conditional_middleware``
    On 200 answers with a body: a weak ``ETag`` (hash of the body, weak because gzip changes
    the bytes but not the meaning), ``304 Not Modified`` when ``If-None-Match`` matches,
    a default ``Cache-Control``, ``Vary: Accept-Encoding`` and gzip for clients that accept it.
``microcache_middleware``
    Identical GETs within a few seconds are answered from memory
    (:mod:`services.query.microcache`); without ``MAILLAGE_PUBLIC_URL`` the links in an
    answer come from its ``Host``, which is then part of the cache key.
"""

from __future__ import annotations

import hashlib
import math

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from isal import isal_zlib

from services.query.errors import ApiError, Handler, error_middleware
from services.query.microcache import MicroCache, host_key, microcache_middleware, path_key
from services.query.trust import (
    Network,
    allowed_hosts,
    client_address,
    forwarded_for,
    host_middleware,
)
from shared.ratelimit import RateLimiter
from shared.settings import Settings

CORS_PREFIXES = ("/v1/", "/openapi.json", "/healthz")
UNLIMITED_PREFIXES = ("/healthz", "/static/")
COMPRESSIBLE = ("application/json", "application/ld+json", "application/rss+xml",
                "application/xml", "text/")
MIN_COMPRESS = 512  # bytes: smaller bodies are not worth a gzip header
#: ISA-L's level 2 (its default): on a 49 KB search page, 10.2 KB in 0.07 ms, where zlib
#: took 0.86 ms for 8.6 KB at level 5 (and 0.34 ms for 10.5 KB at level 1).
GZIP_LEVEL = 2
ALLOWED_HEADERS = "Accept, Accept-Encoding, If-None-Match, Content-Type"
EXPOSED_HEADERS = "ETag, Retry-After, Content-Disposition"
CACHE_CONTROL = web.AppKey("cache_control", dict)
MICROCACHE_ENTRIES = 2000


def cache_for(response: web.StreamResponse, seconds: int) -> web.StreamResponse:
    """Mark ``response`` as cacheable by anyone for ``seconds``."""
    response.headers[hdrs.CACHE_CONTROL] = f"public, max-age={seconds}"
    return response


def cors_path(path: str) -> bool:
    return path.startswith(CORS_PREFIXES)


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not cors_path(request.path):
        return await handler(request)
    routed = request.match_info.http_exception
    if request.method == hdrs.METH_OPTIONS and (
        routed is None or isinstance(routed, web.HTTPMethodNotAllowed)
    ):
        response: web.StreamResponse = web.Response(status=204)
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = "GET, HEAD, OPTIONS"
        requested = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS)
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = requested or ALLOWED_HEADERS
        response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = "86400"
    else:
        response = await handler(request)
    response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = "*"
    response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = EXPOSED_HEADERS
    return response


def body_etag(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2) of ``If-None-Match`` with ``etag``."""
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params.strip() or float(q) > 0
            except ValueError:
                return False
    return False


def add_vary(response: web.StreamResponse, value: str) -> None:
    current = response.headers.get(hdrs.VARY)
    if current is None:
        response.headers[hdrs.VARY] = value
    elif value.lower() not in current.lower():
        response.headers[hdrs.VARY] = current + ", " + value


@web.middleware
async def conditional_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    defaults = request.app[CACHE_CONTROL]
    if response.status != 200 or request.method not in (hdrs.METH_GET, hdrs.METH_HEAD):
        return response
    if not isinstance(response, web.Response):  # static files handle their own validators
        response.headers.setdefault(hdrs.CACHE_CONTROL, defaults["static"])
        return response
    body = response.body
    if not isinstance(body, bytes):
        return response
    response.headers.setdefault(hdrs.CACHE_CONTROL, defaults["default"])
    etag = body_etag(body)
    response.headers[hdrs.ETAG] = etag
    add_vary(response, "Accept-Encoding")
    if etag_matches(request.headers.get(hdrs.IF_NONE_MATCH, ""), etag):
        keep = (hdrs.ETAG, hdrs.CACHE_CONTROL, hdrs.VARY, hdrs.CONTENT_LOCATION, hdrs.EXPIRES)
        not_modified = web.Response(status=304)
        for name in keep:
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified
    content_type = response.headers.get(hdrs.CONTENT_TYPE, "")
    if (len(body) >= MIN_COMPRESS and content_type.startswith(COMPRESSIBLE)
            and accepts_gzip(request.headers.get(hdrs.ACCEPT_ENCODING, ""))):
        response.body = gzip_body(body)
        response.headers[hdrs.CONTENT_ENCODING] = "gzip"
    return response


def gzip_body(body: bytes) -> bytes:
    """``body`` gzipped on the event loop's thread: aiohttp's own compression sends bodies over
    4 KB to a thread pool, and for the tens of KB of a search page the hop cost more than the
    compression (and each pool thread grew its own malloc arena)."""
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def rate_limit_middleware(limiter: RateLimiter, proxies: tuple[Network, ...],
                          trust_peer: bool = False) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == hdrs.METH_OPTIONS or request.path.startswith(UNLIMITED_PREFIXES):
            return await handler(request)
        client = client_address(request.remote, forwarded_for(request), proxies, trust_peer)
        wait = limiter.take(client)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, "too many requests: slow down",
                           details={"retry_after": retry},
                           headers={hdrs.RETRY_AFTER: str(retry)})
        return await handler(request)

    return middleware


def middlewares(settings: Settings) -> list[Middleware]:
    chain: list[Middleware] = [
        cors_middleware, error_middleware,
        host_middleware(allowed_hosts(settings.public_url, settings.allowed_hosts)),
        # "/integrer/" is "/integrer": a permanent redirect when only the slash is extra
        web.normalize_path_middleware(append_slash=False, remove_slash=True,
                                      merge_slashes=False),
    ]
    if settings.rate_limit > 0:
        limiter = RateLimiter(settings.rate_limit, settings.rate_burst)
        chain.append(rate_limit_middleware(limiter, settings.trusted_proxies,
                                           settings.trust_forwarded))
    chain.append(conditional_middleware)
    if settings.microcache_seconds > 0:
        cache = MicroCache(settings.microcache_seconds, MICROCACHE_ENTRIES,
                           settings.microcache_mb * 1024 * 1024)
        # links come from the Host when no public URL is set: the Host is then in the key
        chain.append(microcache_middleware(cache, path_key if settings.public_url else host_key))
    return chain


def setup_http(app: web.Application, settings: Settings) -> None:
    app[CACHE_CONTROL] = {
        "default": f"public, max-age={settings.cache_search_seconds}",
        "static": f"public, max-age={settings.cache_static_seconds}",
    }
