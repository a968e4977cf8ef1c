from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sequences import REGISTRY, SequenceError

router = APIRouter(prefix="/sequences", tags=["sequences"])


@router.get("", summary="The sequences ops wrote in code, compiled (or why they do not compile)")
async def list_sequences() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, seq in sorted(REGISTRY.items()):
        try:
            out.append({**seq.compile().model_dump(mode="json"), "valid": True})
        except SequenceError as exc:
            out.append({"name": name, "valid": False, "error": str(exc)})
    return out
