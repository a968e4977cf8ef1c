"""What an erasure answers: what it removed, counted (never the data itself)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class ErasedRows(BaseModel):
    """Rows changed in PostgreSQL, by kind."""

    messages: int = Field(0, description="The lead's messages: subject, body, provider ids")
    events: int = Field(0, description="Event-log rows whose details were redacted")
    tasks: int = Field(0, description="Tasks whose instructions and note were removed")
    notifications: int = Field(0, description="Owner notifications (inbox items) deleted")
    unmatched_replies: int = Field(0, description="Unmatched replies from the address, deleted")
    webhook_deliveries_deleted: int = Field(0, description="Pending outgoing webhooks, deleted")
    webhook_deliveries_redacted: int = Field(0, description="Sent outgoing webhooks' payloads")
    import_rejections: int = Field(0, description="Rejected import rows holding the address")
    enrollments_stopped: int = Field(0, description="Open enrollments marked stopped")


class ErasureResult(BaseModel):
    lead_id: uuid.UUID
    already_erased: bool = Field(description="True: erased before; only Temporal was tidied again")
    workflow_terminated: bool = Field(description="A running sequence was terminated")
    temporal_executions_deleted: int = Field(
        description="Workflow executions whose deletion Temporal accepted (it deletes async)"
    )
    temporal_refused: str | None = Field(
        None,
        description="Why Temporal refused to delete executions (they then expire with the "
        "namespace's retention)",
    )
    suppressed: list[str] = Field(
        default_factory=list, description="What the hashed suppression covers: email, phone"
    )
    removed: ErasedRows

    def summary(self) -> str:
        """One line, for the CLI."""
        if self.already_erased:
            return f"lead {self.lead_id} was already erased"
        r = self.removed
        temporal = (
            f"Temporal: deletion refused ({self.temporal_refused})"
            if self.temporal_refused
            else f"{self.temporal_executions_deleted} workflow executions deleted"
        )
        return (
            f"erased lead {self.lead_id}: {r.messages} messages, {r.events} events redacted, "
            f"{r.tasks} tasks, {r.notifications} notifications, {r.unmatched_replies} unmatched "
            f"replies, {r.webhook_deliveries_deleted + r.webhook_deliveries_redacted} webhook "
            f"deliveries, {r.import_rejections} import rejections; suppressed "
            f"{' and '.join(self.suppressed) or 'nothing (no address)'} (hashed); {temporal}"
        )
