"""Search attribute keys: what ops filter on in the Temporal Web UI (`NeedsAttention = true`)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CAMPAIGN_ID = SearchAttributeKey.for_keyword("CampaignId")
SEQUENCE_NAME = SearchAttributeKey.for_keyword("SequenceName")
LEAD_ID = SearchAttributeKey.for_keyword("LeadId")
LEAD_EMAIL = SearchAttributeKey.for_keyword("LeadEmail")
LEAD_STATUS = SearchAttributeKey.for_keyword("LeadStatus")
CURRENT_STEP = SearchAttributeKey.for_int("CurrentStep")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")
NEXT_ACTION_AT = SearchAttributeKey.for_datetime("NextActionAt")
# Why a paused lead waits ("out of office", "paused by user"): `PauseReason = "out of office"`.
PAUSE_REASON = SearchAttributeKey.for_keyword("PauseReason")

ALL_KEYS = (
    CAMPAIGN_ID,
    SEQUENCE_NAME,
    LEAD_ID,
    LEAD_EMAIL,
    LEAD_STATUS,
    CURRENT_STEP,
    NEEDS_ATTENTION,
    NEXT_ACTION_AT,
    PAUSE_REASON,
)
