"""Opaque page cursors: a pair (the sort key of a page's last row, and its id), JSON in
URL-safe base64. Each listing says what the pair is; decoding refuses anything not made here."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator

NOT_A_CURSOR = "not a cursor this API returned"


def pack(key: str | int, row_id: uuid.UUID) -> str:
    raw = json.dumps([key, str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def unpack(token: str) -> tuple[Any, uuid.UUID]:
    """The (key, id) pair `pack` made; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key, row_id = json.loads(raw)
        return key, uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError(NOT_A_CURSOR) from None


def token_check(decode: Callable[[str], object]) -> AfterValidator:
    """For a query parameter: an empty token is the first page; any other must decode, so a
    bad one is a 422 naming the parameter."""

    def check(token: str) -> str:
        if token:
            decode(token)
        return token

    return AfterValidator(check)
