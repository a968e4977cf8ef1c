"""One error hierarchy, one JSON shape: {"error": "...", "detail": ...}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class SalesPadError(Exception):
    status_code = 400

    def __init__(self, message: str, detail: Any = None, *, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code


class NotFound(SalesPadError):
    status_code = 404


class Conflict(SalesPadError):
    status_code = 409


class InvalidInput(SalesPadError):
    status_code = 422


class Unauthorized(SalesPadError):
    status_code = 401


class ServiceUnavailable(SalesPadError):
    status_code = 503


def field_errors(errors: Any) -> list[dict[str, str]]:
    """Pydantic errors as [{"field": "email", "message": "..."}], the field path dotted."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return out


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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail), "detail": None},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
