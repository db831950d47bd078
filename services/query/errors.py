"""The one JSON error shape of every HTTP endpoint, and the middleware that enforces it.

    {"error": {"code": "invalid_parameter", "message": "...", "details": {...}}}

``code`` is stable and machine-readable, ``message`` is for people, ``details`` says which
parameter or field was wrong and why. Every error response, including 404 and 405 produced by
the router and unexpected 500s, goes through :func:`error_middleware`.

A browser asking for a page (``Accept: text/html``, outside the API's paths) gets a French
HTML page instead, with the same status, when the web pages registered one
(:data:`HTML_ERRORS`); the API, the feeds and scripts keep the JSON shape.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HtmlErrorPage = Callable[[web.Request, int], web.Response]
#: ``(request, status) -> response``: the French error page for browsers (set by the web pages)
HTML_ERRORS: web.AppKey[HtmlErrorPage] = web.AppKey("html_errors")
#: Paths that always answer errors in JSON, whatever the client accepts.
API_PATHS = ("/v1/", "/v1.", "/openapi.json", "/healthz", "/metrics", "/static/", "/widget.js")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_body",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


# Headers describing the exception's own text body, replaced by the JSON error body.
BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


def error_body(status: int, message: str, code: str | None = None,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code or CODES.get(status, "error"), "message": message,
                      "details": details or {}}}


class ApiError(web.HTTPException):
    """Raise from a handler to answer with the error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = status
        super().__init__(headers=headers)
        self.body_data = error_body(status, message, code, details)


def invalid_parameter(name: str, reason: str) -> ApiError:
    return ApiError(
        400,
        f"invalid parameter '{name}': {reason}",
        code="invalid_parameter",
        details={"parameter": name, "reason": reason},
    )


def error_response(status: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> web.Response:
    response = web.json_response(body, status=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def wants_html(request: web.Request) -> bool:
    """A browser asking for a page, not the API or a file."""
    if request.path == "/v1" or request.path.startswith(API_PATHS):
        return False
    return "text/html" in request.headers.get("Accept", "")


def answer(request: web.Request, status: int, body: dict[str, Any],
           headers: dict[str, str] | None = None) -> web.Response:
    page = request.app.get(HTML_ERRORS)
    if page is not None and wants_html(request):
        response = page(request, status)
        response.headers.update(headers or {})
        response.headers["Cache-Control"] = "no-store"
        return response
    return error_response(status, body, headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        headers = {k: v for k, v in exc.headers.items() if k.lower() not in BODY_HEADERS}
        return answer(request, exc.status_code, exc.body_data, headers)
    except web.HTTPException as exc:
        if exc.status_code < 400:
            raise
        message = exc.reason or CODES.get(exc.status_code, "error")
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return answer(request, exc.status_code, error_body(exc.status_code, message), headers)
    except Exception:
        log.exception("unexpected error", extra={"url": str(request.rel_url)})
        return answer(request, 500, error_body(500, "internal error"))


class _ShapedErrors(RequestHandler):
    """aiohttp's connection handler, answering a request it cannot even parse (raw bytes in
    the URL, a broken header line, TLS sent to the plain port) in the one error shape, and
    logging it as one line: such requests are the client's fault and come by the thousand
    from scanners, so neither a traceback nor the ERROR level fits them."""

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if not (400 <= status < 500 and isinstance(exc, HttpProcessingError)):
            return super().handle_error(request, status, exc, message)
        reason = (exc.message or CODES.get(status, "error")).splitlines()[0].rstrip(" :")
        log.info("malformed request refused",
                 extra={"remote": request.remote, "error": reason[:200]})
        if request.writer.output_size > 0:  # aiohttp's own rule: too late for an answer
            raise ConnectionError("response already started")
        response = error_response(status, error_body(status, f"malformed request: {reason}"))
        response.force_close()
        return response


class _ShapedServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _ShapedErrors(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """:class:`aiohttp.web.AppRunner` whose connections answer unparsable requests in the
    error shape (:class:`_ShapedErrors`); every service's listener runs on it."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _ShapedServer
        return server
