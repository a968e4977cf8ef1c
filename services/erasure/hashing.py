"""The hash an erased person's suppression keeps instead of their address.

SHA-256 of the value lowercased with surrounding spaces trimmed, unkeyed: migration 0009's
salespad_pii_hash computes the same inside PostgreSQL (enrollment and imports check
suppressions in SQL), and the suppression must survive a change of SALESPAD_SECRET_KEY, since a
keyed hash would silently stop matching and the person would be contacted again. The README's
Erasure section says what an unkeyed hash still lets someone with the database confirm.
"""

from __future__ import annotations

import hashlib


def pii_hash(value: str) -> str:
    return hashlib.sha256(value.strip(" ").lower().encode()).hexdigest()
