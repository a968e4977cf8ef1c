"""The OpenAPI document says what the app really answers: one error body for every 4xx and 5xx
(`ErrorBody`, as `api.errors` renders it), and every status a route can return.

Routes name their own statuses with `errors(404, 409, ...)`; what every route under /api shares
is added here once: 401 (the API key or session cookie), 403 on a state-changing route (the
API key's scope, or the session cookie's CSRF token), 422 (the input guard refuses a NUL in any
query parameter) and, for a route that takes a body, 413 (the size limit). FastAPI's own 422 schema
(`HTTPValidationError`, with `loc` / `msg` / `type`) is not what the app sends, so it is
replaced by `ErrorBody` wherever it appears.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="Where: `email`, `query.limit`, `body[3].phone`, ...")
    message: str


class ErrorBody(BaseModel):
    """Every error the app answers with, whatever its status."""

    error: str = Field(description="What went wrong, in a sentence")
    detail: list[FieldError] | str | dict[str, Any] | None = Field(
        description="The fields at fault (422, and some 409 / 413), a hint, or more context"
    )


DESCRIPTIONS: dict[int, str] = {
    400: "The request cannot be read",
    401: "Missing, wrong or revoked API key (`Authorization: Bearer <SALESPAD_API_KEY>` or a "
    "key from `salespad apikey create`), or no valid session cookie",
    403: "Wrong token or signature; nothing was recorded",
    404: "Not found",
    409: "Conflicts with the current state (the error says which)",
    413: "The request body is over the size limit",
    415: "Unsupported content type",
    422: "Invalid input: `detail` names each field at fault",
    502: "An upstream provider refused the request",
    503: "A service the request needs (Temporal, a provider) is unreachable; nothing changed",
}


def errors(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error body and a description. A keyword
    `e409="..."` describes a status in the route's own words."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"model": ErrorBody, "description": DESCRIPTIONS[code]}
    for key, text in described.items():
        out[int(key.removeprefix("e"))] = {"model": ErrorBody, "description": text}
    return out


# Models that only a route's raw-body documentation names (`request_body`), added to the
# components when the document is built.
_BODY_MODELS: list[type[BaseModel]] = []


def request_body(
    media_type: str, schema: type[BaseModel] | dict[str, Any], *, required: bool = True
) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads its body itself (webhooks: a signature is
    checked over the raw bytes first): documents what it reads."""
    if isinstance(schema, dict):
        described = schema
    else:
        _BODY_MODELS.append(schema)
        described = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {"requestBody": {"required": required, "content": {media_type: {"schema": described}}}}


_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_FASTAPI_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_UNSAFE = frozenset({"post", "put", "patch", "delete"})
# Routes behind the API key take the session cookie too (api.auth.current_caller).
_KEY_AUTH: dict[str, list[str]] = {"HTTPBearer": []}
_CSRF_403 = (
    "The API key's scope does not allow this route (the error names the scope it needs), or, "
    "with the session cookie, the X-CSRF-Token header is missing or wrong, or the Origin is "
    "not this server's"
)


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": dict(_ERROR_REF)}}


def _complete(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    models: list[type[BaseModel]] = [ErrorBody, *_BODY_MODELS]
    for model in models:
        if model.__name__ not in schemas:
            own = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in own.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas[model.__name__] = own
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                _not_null(parameter)
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if path.startswith("/api/"):
                shared = [401, 422] + ([413] if "requestBody" in operation else [])
                for code in shared:
                    responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
                if method in _UNSAFE and _KEY_AUTH in operation.get("security", []):
                    responses.setdefault("403", {"description": _CSRF_403})
            for status, response in responses.items():
                if not status.isdigit() or int(status) < 400:
                    continue
                # A route's own error model (the health report, an HTML page) is kept; FastAPI's
                # validation schema and a bare description become the error body.
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if "content" not in response or schema in ({}, _FASTAPI_422):
                    response["content"] = _error_content()
                if response.get("description") == "Validation Error":  # FastAPI's words
                    response["description"] = DESCRIPTIONS[422]
                if int(status) == 401:
                    response.setdefault("headers", {})["WWW-Authenticate"] = {
                        "description": "Bearer",
                        "schema": {"type": "string"},
                    }
    return document


def _not_null(parameter: dict[str, Any]) -> None:
    """An optional query parameter or header is absent or has a value: on the wire there is no
    null, so `anyOf: [X, null]` (pydantic's `X | None`) is documented as X."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1 and len(kept) < len(options):
            rest = {key: value for key, value in schema.items() if key != "anyOf"}
            parameter["schema"] = {**kept[0], **rest}


def install_openapi(app: FastAPI) -> None:
    """Build the document once, completed as above, and serve that at /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            app.openapi_schema = _complete(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
