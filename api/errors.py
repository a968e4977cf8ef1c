"""One JSON shape for every error: {"error": "...", "detail": ...}. The hierarchy lives in
`services.errors`; only the API's own 401 and 403 (authentication) are defined here."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.openapi import HTTP_METHODS
from services.errors import SalesPadError, field_errors


class Unauthorized(SalesPadError):
    status_code = 401


class Forbidden(SalesPadError):
    """A session-cookie request without its CSRF token, or from another origin."""

    status_code = 403


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SalesPadError)
    async def _salespad(_: Request, exc: SalesPadError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(
            {"error": exc.message, "detail": exc.detail},
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid request", "detail": field_errors(exc.errors())},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400:
            # The framework's own 400s are a body it could not parse (bytes that are not
            # UTF-8 under a JSON type, a broken multipart form): bad input, named like any other.
            return JSONResponse(
                {"error": "invalid request", "detail": [{"field": "body", "message": exc.detail}]},
                status_code=422,
            )
        # Starlette lists only the methods of the first route that matched the path; a path
        # served by several routes (GET and POST /u/{token}) allows the methods of them all.
        if exc.status_code == 405 and (allowed := _allowed_methods(app, request.url.path)):
            headers["Allow"] = ", ".join(allowed)
        return JSONResponse(
            {"error": str(exc.detail), "detail": None},
            status_code=exc.status_code,
            headers=headers or None,
        )


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document lists for the path, taken from its most specific
    template (`/campaigns/{id}/funnel` over `/campaigns/{id}/{action}`)."""
    best: tuple[int, list[str]] = (-1, [])
    for template, item in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            literals = sum(1 for part in template.split("/") if part and "{" not in part)
            methods = sorted(method.upper() for method in item if method in HTTP_METHODS)
            if literals > best[0]:
                best = (literals, methods)
    return best[1]
