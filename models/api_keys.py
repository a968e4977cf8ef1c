"""API keys: what a caller of the REST API presents, stored as a hash and never as the key.

A key is `sp_` and 32 random bytes (base64url). The table keeps its SHA-256 (hex), a short
prefix to tell keys apart in listings, its scope (read | write | ops) and its lifecycle. Why a
plain SHA-256 and not a slow password hash: services/api_keys/service.py says.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, func
from sqlmodel import Field, SQLModel

from models.tables import utcnow

SCOPES = ("read", "write", "ops")


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("scope IN ('read', 'write', 'ops')", name="ck_api_key_scope"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    scope: str = Field(max_length=8)
    # The key's first characters (`sp_` + 8), shown in listings to tell keys apart.
    prefix: str = Field(max_length=16)
    # SHA-256 of the whole key, hex: what a presented key is looked up by.
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    last_used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
