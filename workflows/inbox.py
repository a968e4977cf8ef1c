"""What handlers deliver to the running interpreter: transient, never carried across
continue-as-new (which happens only between steps, with no reply pending)."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import OpsCommand, ReplyNotice, ReplyOutcome
    from workflows.draft_contracts import DraftDecision


@dataclass
class Inbox:
    # Replies accepted but not handled yet, in arrival order.
    pending: list[ReplyNotice] = field(default_factory=list)
    # What handling each reply decided, by db_message_id: the reply Update's answer.
    handled: dict[str, ReplyOutcome] = field(default_factory=dict)
    # Ops commands, kept only while a dead letter waits for them.
    ops: list[OpsCommand] = field(default_factory=list)
    draft_decisions: dict[str, DraftDecision] = field(default_factory=dict)
    # Task id -> "done" | "skipped", from the task_done signal (or the database, when overdue).
    tasks_done: dict[str, str] = field(default_factory=dict)

    def accept_draft_decision(self, decision: DraftDecision) -> None:
        # The first answer wins, as it does in the database (a second one gets a 409 there).
        self.draft_decisions.setdefault(decision.task_id, decision)

    def decision_for(self, task_id: str) -> DraftDecision | None:
        if task_id in self.draft_decisions:
            return self.draft_decisions[task_id]
        # /tasks/{id}/complete or /skip on the task: done sends the draft, skipped the template.
        done = self.tasks_done.get(task_id)
        if done is None:
            return None
        return DraftDecision(task_id=task_id, decision="approve" if done == "done" else "reject")
