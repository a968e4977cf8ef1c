"""One error hierarchy for the application layer; `api.errors` renders it as
{"error": "...", "detail": ...} with the status code each class names."""

from __future__ import annotations

from typing import Any


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


class PayloadTooLarge(SalesPadError):
    status_code = 413


class ServiceUnavailable(SalesPadError):
    status_code = 503


def field_errors(errors: Any) -> list[dict[str, str]]:
    """Pydantic errors as [{"field": "email", "message": "..."}], the field path dotted."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return out
