"""Every ApplicationError type name SalesPad raises, grouped by what a retry can do about it.

Adapters raise these as `error_type`, activities turn them into `ApplicationError(type=...)`, and
`workflows/policies.py` builds each policy's non-retryable list from the groups below, so a new
permanent error cannot slip into a retry storm. Stdlib only and constant: importable by
workflows (deterministic), activities and adapters alike.
`tests/unit/adapters/test_error_catalogue.py` checks that every type the adapters can produce is
listed here, in the right group.
"""

from __future__ import annotations

from typing import Final

# -- raised by activities themselves ----------------------------------------------------------
# The provider may or may not have taken the message: ops decide, never resent automatically.
SEND_OUTCOME_UNKNOWN: Final = "SendOutcomeUnknown"
TEMPLATE_ERROR: Final = "TemplateError"
REPLY_NOT_FOUND: Final = "ReplyNotFound"
# A mailbox whose provider cannot be built (credentials missing or sealed with another key).
MAILBOX_CONFIG_ERROR: Final = "MailboxConfigError"

# -- channels ---------------------------------------------------------------------------------
# The defaults of the channel error classes (adapters/channels/base.py).
CHANNEL_ERROR: Final = "ChannelError"
TRANSIENT_CHANNEL_ERROR: Final = "TransientChannelError"
PERMANENT_CHANNEL_ERROR: Final = "PermanentChannelError"

# Permanent, any channel.
INVALID_RECIPIENT: Final = "InvalidRecipient"
INVALID_CONTENT: Final = "InvalidContent"
# Twilio error 21610: the number texted STOP. The send activity suppresses it instead of failing.
RECIPIENT_OPTED_OUT: Final = "RecipientOptedOut"
# Permanent, SendGrid.
SENDGRID_BAD_REQUEST: Final = "SendGridBadRequest"
SENDGRID_UNAUTHORIZED: Final = "SendGridUnauthorized"
SENDGRID_FORBIDDEN: Final = "SendGridForbidden"
SENDGRID_NOT_FOUND: Final = "SendGridNotFound"
SENDGRID_PAYLOAD_TOO_LARGE: Final = "SendGridPayloadTooLarge"
SENDGRID_REJECTED: Final = "SendGridRejected"
# Permanent, SMTP.
SMTP_NOT_SUPPORTED: Final = "SmtpNotSupported"
SMTP_AUTH_FAILED: Final = "SmtpAuthFailed"
SMTP_RECIPIENT_REJECTED: Final = "SmtpRecipientRejected"
SMTP_REJECTED: Final = "SmtpRejected"
# Permanent, Twilio.
WHATSAPP_OUTSIDE_WINDOW: Final = "WhatsAppOutsideWindow"
TWILIO_UNAUTHORIZED: Final = "TwilioUnauthorized"
TWILIO_REJECTED: Final = "TwilioRejected"

# Transient: the provider did not take the message, a retry is safe.
SENDGRID_RATE_LIMITED: Final = "SendGridRateLimited"
SENDGRID_UNAVAILABLE: Final = "SendGridUnavailable"
SENDGRID_UNREACHABLE: Final = "SendGridUnreachable"
# Transient when the connection timed out; also the detail of an unknown outcome (a read timeout).
SENDGRID_TIMEOUT: Final = "SendGridTimeout"
SMTP_UNAVAILABLE: Final = "SmtpUnavailable"
SMTP_TEMPORARY_FAILURE: Final = "SmtpTemporaryFailure"
SMTP_PROTOCOL_ERROR: Final = "SmtpProtocolError"
SMTP_TIMEOUT: Final = "SmtpTimeout"
SMTP_UNREACHABLE: Final = "SmtpUnreachable"
TWILIO_RATE_LIMITED: Final = "TwilioRateLimited"
TWILIO_UNAVAILABLE: Final = "TwilioUnavailable"
TWILIO_UNREACHABLE: Final = "TwilioUnreachable"

# Unknown outcome: only ever reported inside a SEND_OUTCOME_UNKNOWN ApplicationError.
TWILIO_TIMEOUT: Final = "TwilioTimeout"
SMTP_OUTCOME_UNKNOWN: Final = "SmtpOutcomeUnknown"
# The connection closed or reset once the request was out, before any answer.
SENDGRID_CONNECTION_LOST: Final = "SendGridConnectionLost"
TWILIO_CONNECTION_LOST: Final = "TwilioConnectionLost"

# -- LLM --------------------------------------------------------------------------------------
# The defaults of the LLM error classes (adapters/llm/base.py).
LLM_ERROR: Final = "LLMError"
TRANSIENT_LLM_ERROR: Final = "TransientLLMError"
PERMANENT_LLM_ERROR: Final = "PermanentLLMError"

# Permanent: the same request gets the same answer.
LLM_BAD_REQUEST: Final = "LLMBadRequest"
LLM_UNAUTHORIZED: Final = "LLMUnauthorized"
LLM_FORBIDDEN: Final = "LLMForbidden"
LLM_NOT_FOUND: Final = "LLMNotFound"
LLM_CLIENT_ERROR: Final = "LLMClientError"
LLM_QUOTA_EXCEEDED: Final = "LLMQuotaExceeded"
LLM_REFUSAL: Final = "LLMRefusal"
LLM_CONTENT_FILTER: Final = "LLMContentFilter"

# Transient. Malformed output is one: sampling differs between calls, so a retry often succeeds.
LLM_RATE_LIMITED: Final = "LLMRateLimited"
LLM_UNAVAILABLE: Final = "LLMUnavailable"
LLM_TIMED_OUT: Final = "LLMTimeout"
LLM_CONNECTION: Final = "LLMConnection"
LLM_MALFORMED_OUTPUT: Final = "LLMMalformedOutput"

# -- groups -----------------------------------------------------------------------------------
PERMANENT_CHANNEL_ERRORS: Final = (
    PERMANENT_CHANNEL_ERROR,
    INVALID_RECIPIENT,
    INVALID_CONTENT,
    RECIPIENT_OPTED_OUT,
    SENDGRID_BAD_REQUEST,
    SENDGRID_UNAUTHORIZED,
    SENDGRID_FORBIDDEN,
    SENDGRID_NOT_FOUND,
    SENDGRID_PAYLOAD_TOO_LARGE,
    SENDGRID_REJECTED,
    SMTP_NOT_SUPPORTED,
    SMTP_AUTH_FAILED,
    SMTP_RECIPIENT_REJECTED,
    SMTP_REJECTED,
    WHATSAPP_OUTSIDE_WINDOW,
    TWILIO_UNAUTHORIZED,
    TWILIO_REJECTED,
)
TRANSIENT_CHANNEL_ERRORS: Final = (
    CHANNEL_ERROR,
    TRANSIENT_CHANNEL_ERROR,
    SENDGRID_RATE_LIMITED,
    SENDGRID_UNAVAILABLE,
    SENDGRID_UNREACHABLE,
    SENDGRID_TIMEOUT,
    SMTP_UNAVAILABLE,
    SMTP_TEMPORARY_FAILURE,
    SMTP_PROTOCOL_ERROR,
    SMTP_TIMEOUT,
    SMTP_UNREACHABLE,
    TWILIO_RATE_LIMITED,
    TWILIO_UNAVAILABLE,
    TWILIO_UNREACHABLE,
)
# Details of an unknown outcome; the activity raises them as SEND_OUTCOME_UNKNOWN.
OUTCOME_UNKNOWN_CHANNEL_ERRORS: Final = (
    SEND_OUTCOME_UNKNOWN,
    SENDGRID_TIMEOUT,
    TWILIO_TIMEOUT,
    SMTP_OUTCOME_UNKNOWN,
    SENDGRID_CONNECTION_LOST,
    TWILIO_CONNECTION_LOST,
)
PERMANENT_LLM_ERRORS: Final = (
    PERMANENT_LLM_ERROR,
    LLM_BAD_REQUEST,
    LLM_UNAUTHORIZED,
    LLM_FORBIDDEN,
    LLM_NOT_FOUND,
    LLM_CLIENT_ERROR,
    LLM_QUOTA_EXCEEDED,
    LLM_REFUSAL,
    LLM_CONTENT_FILTER,
)
TRANSIENT_LLM_ERRORS: Final = (
    LLM_ERROR,
    TRANSIENT_LLM_ERROR,
    LLM_RATE_LIMITED,
    LLM_UNAVAILABLE,
    LLM_TIMED_OUT,
    LLM_CONNECTION,
    LLM_MALFORMED_OUTPUT,
)
# Raised non-retryably by the send step itself (not by a channel).
SEND_STEP_ERRORS: Final = (SEND_OUTCOME_UNKNOWN, TEMPLATE_ERROR, MAILBOX_CONFIG_ERROR)
# Raised non-retryably by the LLM-backed activities themselves (draft and reply classification).
LLM_STEP_ERRORS: Final = (TEMPLATE_ERROR, REPLY_NOT_FOUND)
