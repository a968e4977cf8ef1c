"""One structured chat completion against an OpenAI-compatible endpoint, with our error mapping.

Shared by the reply classifier and the drafter. Structured output goes through the SDK's
`chat.completions.parse(response_format=<pydantic model>)`: the SDK turns the model into a strict
`{"type": "json_schema", ...}` response format and parses `message.content` back into it. That
request shape is what OpenAI, Azure OpenAI, vLLM and Ollama accept on /chat/completions, so the
same code works against any of them through a base URL.

The call is made `with_raw_response` so that sending and parsing fail separately: an HTTP or
network failure is the provider's state, while a body that does not parse is what the model
produced; and the raw content stays available for the audit log even when it is malformed.

Error mapping (the SDK's own retries are off: Temporal owns retries):
- 429, 5xx, 408/409, timeouts, connection errors -> TransientLLMError, with Retry-After.
- 429 `insufficient_quota` -> permanent: retrying cannot refill the account.
- 400/401/403/404/422 and other 4xx -> PermanentLLMError (LLMBadRequest, LLMUnauthorized, ...).
- A refusal or the content filter -> PermanentLLMError: the same input gets the same answer.
- Malformed or truncated output -> TransientLLMError("LLMMalformedOutput"): sampling differs
  between calls, so one retry often succeeds; the retry policy bounds how often we pay for it.
Anything else (a bug, an SDK error we do not know) propagates unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel

from adapters.llm.base import LLMError, PermanentLLMError, TransientLLMError
from adapters.retry_after import parse_retry_after_headers
from workflows import errors

T = TypeVar("T", bound=BaseModel)

_PERMANENT_TYPES = {
    400: errors.LLM_BAD_REQUEST,
    401: errors.LLM_UNAUTHORIZED,
    403: errors.LLM_FORBIDDEN,
    404: errors.LLM_NOT_FOUND,
    422: errors.LLM_BAD_REQUEST,
}
# Statuses the OpenAI SDK itself would retry besides 429 and 5xx: lock timeouts and conflicts.
_TRANSIENT_STATUSES = {408, 409}


@dataclass(frozen=True)
class Structured(Generic[T]):
    """The parsed output, with what was sent and received (for the audit log)."""

    value: T
    messages: list[dict[str, str]]
    raw: str


def make_client(api_key: str, base_url: str | None, timeout: float) -> openai.AsyncOpenAI:
    # max_retries=0: a retry inside the SDK would hide the 429 and its Retry-After from Temporal.
    return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


async def structured(
    client: openai.AsyncOpenAI,
    *,
    model: str,
    messages: list[dict[str, str]],
    output: type[T],
    **params: Any,
) -> Structured[T]:
    """Send `messages`, return the reply parsed into `output`, or raise an LLMError."""
    sent: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": m["content"]}
        if m["role"] == "system"
        else {"role": "user", "content": m["content"]}
        for m in messages
    ]
    try:
        response = await client.chat.completions.with_raw_response.parse(
            model=model, messages=sent, response_format=output, **params
        )
    except openai.OpenAIError as exc:
        mapped = map_error(exc)
        if mapped is None:
            raise
        raise mapped from exc

    raw = _raw_content(response.text)
    try:
        completion = response.parse()
        message = completion.choices[0].message
        refusal, parsed = message.refusal, message.parsed
    except openai.ContentFilterFinishReasonError as exc:
        raise PermanentLLMError(str(exc), error_type=errors.LLM_CONTENT_FILTER) from exc
    # Everything here parses a body the provider already sent with a 2xx, so any failure
    # (invalid JSON, a schema miss, a cut-off answer, an odd shape) is the output's fault.
    except Exception as exc:
        raise TransientLLMError(
            f"malformed model output ({type(exc).__name__}): {_short(str(exc))}",
            error_type=errors.LLM_MALFORMED_OUTPUT,
        ) from exc
    if refusal:
        raise PermanentLLMError(
            f"the model refused: {_short(refusal)}", error_type=errors.LLM_REFUSAL
        )
    if not isinstance(parsed, output):
        raise TransientLLMError(
            f"the model returned no structured content: {_short(raw)!r}",
            error_type=errors.LLM_MALFORMED_OUTPUT,
        )
    return Structured(value=parsed, messages=messages, raw=raw)


def map_error(exc: openai.OpenAIError) -> LLMError | None:
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        said = exc.body.get("message") if isinstance(exc.body, dict) else None
        message = f"{status} from the LLM provider: {_short(str(said or exc.message))}"
        if status == 429 and exc.code == "insufficient_quota":
            return PermanentLLMError(message, error_type=errors.LLM_QUOTA_EXCEEDED)
        if status == 429 or status >= 500 or status in _TRANSIENT_STATUSES:
            kind = errors.LLM_RATE_LIMITED if status == 429 else errors.LLM_UNAVAILABLE
            delay = parse_retry_after_headers(exc.response.headers)
            return TransientLLMError(message, error_type=kind, retry_after=delay)
        return PermanentLLMError(
            message, error_type=_PERMANENT_TYPES.get(status, errors.LLM_CLIENT_ERROR)
        )
    if isinstance(exc, openai.APITimeoutError):
        return TransientLLMError("the LLM request timed out", error_type=errors.LLM_TIMED_OUT)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return TransientLLMError(
            f"could not reach the LLM provider: {_short(str(cause))}",
            error_type=errors.LLM_CONNECTION,
        )
    return None


def _raw_content(body: str) -> str:
    """The model's message content if the body has one, else the body itself."""
    try:
        content = json.loads(body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return body
    return content if isinstance(content, str) else body


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OpenAIEndpoint:
    """A model behind an OpenAI-compatible endpoint: the client both LLM adapters share."""

    source = "llm"

    def __init__(
        self,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float = 30,
        *,
        temperature: float | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url
        # Unset by default: reasoning models reject any temperature but their own.
        self._params: dict[str, Any] = {} if temperature is None else {"temperature": temperature}
        self._client = make_client(api_key, base_url, timeout)

    async def aclose(self) -> None:
        await self._client.close()
