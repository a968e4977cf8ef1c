"""One JSON shape for every error: {"error": "...", "detail": ...}. The hierarchy lives in
`services.errors`; only the API's own 401 is defined here."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.errors import SalesPadError, field_errors


class Unauthorized(SalesPadError):
    status_code = 401


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
        if exc.status_code == 405:
            # Starlette lists only the methods of the first route that matched the path; a path
            # served by several routes (GET and POST /u/{token}) allows the methods of them all.
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return JSONResponse(
            {"error": str(exc.detail), "detail": None},
            status_code=exc.status_code,
            headers=headers or None,
        )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": ""})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
