"""`IsoDateTime`: a date-time given as ISO 8601 text, and nothing else.

Pydantic on its own also takes a number (or a numeric string, as every query parameter is) as
Unix time, so `created_after=0.5` or `"sent_at": 0` would mean 1970: a 422 naming the field says
what is wanted instead.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
MESSAGE = "must be an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z (no zone: UTC)"


def _iso_only(value: Any) -> Any:
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError(MESSAGE)
    return value


IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_only),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
