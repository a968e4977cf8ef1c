"""`POST /api/ai/classify`: classify one reply the way the sequence would, and say which path did.

The classifier comes from settings (`build_classifier`): the LLM when OPENAI_API_KEY is set,
else the offline rules. An LLM failure is reported, never papered over with the offline answer,
so a caller can tell "the model said other" from "the model was down": transient failures are
503 with Retry-After, permanent ones 502 with the reason.
"""

from __future__ import annotations

import math
import threading
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.llm.base import PermanentLLMError, ReplyClassifier, TransientLLMError
from adapters.llm.factory import build_classifier
from adapters.llm.types import ReplyClassification, ReplyInput
from api.deps import SettingsDep
from api.openapi import errors
from config.settings import Settings
from services.datetimes import IsoDateTime

router = APIRouter(prefix="/ai", tags=["ai"])

# Keyed by the settings object itself (its id, with the object kept alive so the id cannot be
# reused): one client per app, built on first use. Small, because an app has one settings object;
# only tests make many.
_CACHE_SIZE = 8
DEFAULT_RETRY_AFTER = 5
_cache: dict[int, tuple[Settings, ReplyClassifier]] = {}
_cache_lock = threading.Lock()


def get_classifier(settings: SettingsDep) -> ReplyClassifier:
    with _cache_lock:
        hit = _cache.get(id(settings))
        if hit is not None and hit[0] is settings:
            return hit[1]
        classifier = build_classifier(settings)
        _cache[id(settings)] = (settings, classifier)
        while len(_cache) > _CACHE_SIZE:
            del _cache[next(iter(_cache))]
        return classifier


ClassifierDep = Annotated[ReplyClassifier, Depends(get_classifier)]


class ClassifyRequest(BaseModel):
    text: str = Field(description="The reply as received; quoted history is cut before use.")
    subject: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    sent_at: IsoDateTime | None = Field(None, description="When the reply was written (ISO 8601).")
    timezone: str | None = Field(None, description="The lead's IANA timezone, e.g. Europe/Berlin.")
    last_outbound: str | None = Field(None, description="The last message we sent the lead.")


_ERRORS = errors(
    e502="The LLM provider rejected the request (permanent; detail says why)",
    e503="The LLM provider is unavailable or rate-limited; see Retry-After",
)
_ERRORS[503]["headers"] = {
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
}


@router.post(
    "/classify",
    response_model=ReplyClassification,
    summary="Classify a reply's intent (LLM with OPENAI_API_KEY, else offline rules)",
    responses=_ERRORS,
)
async def classify(
    body: ClassifyRequest, classifier: ClassifierDep
) -> ReplyClassification | JSONResponse:
    reply = ReplyInput.model_validate(body.model_dump())
    try:
        return await classifier.classify(reply)
    except TransientLLMError as exc:
        detail: dict[str, object] = {"type": exc.error_type, "source": classifier.source}
        # The provider's hint when it gave one; else a short default, so clients back off.
        delay = DEFAULT_RETRY_AFTER if exc.retry_after is None else exc.retry_after.total_seconds()
        detail["retry_after"] = seconds = math.ceil(delay)
        return JSONResponse(
            {"error": f"the LLM is unavailable: {exc}", "detail": detail},
            status_code=503,
            headers={"Retry-After": str(seconds)},
        )
    except PermanentLLMError as exc:
        return JSONResponse(
            {
                "error": f"the LLM rejected the request: {exc}",
                "detail": {"type": exc.error_type, "source": classifier.source},
            },
            status_code=502,
        )
