"""Reading a workflow's real history: billed Temporal Cloud actions per event, and the events
split into the steps that caused them.

Actions, after https://docs.temporal.io/cloud/actions (history events are an estimate there
too): a workflow start (or continue-as-new, or a child start), each activity scheduled plus
each retry (ActivityTaskStarted.attempt - 1), each local activity (its marker), each timer
started, each signal received or sent, each update accepted, each search-attribute upsert or
memo change, each external cancel request. Workflow tasks, completions and fired timers are
free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

E = EventType
ONE_ACTION = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    E.EVENT_TYPE_TIMER_STARTED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
}
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def actions(event: HistoryEvent) -> int:
    if event.event_type in ONE_ACTION:
        return 1
    if event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        return max(0, event.activity_task_started_event_attributes.attempt - 1)
    if event.event_type == E.EVENT_TYPE_MARKER_RECORDED:
        return int(event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER)
    return 0


def short(event: HistoryEvent) -> str:
    """TIMER_STARTED, ACTIVITY_TASK_SCHEDULED(send_step), UPSERT(CurrentStep,NextActionAt)..."""
    name = E.Name(event.event_type).removeprefix("EVENT_TYPE_")
    if event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return f"{name}({event.activity_task_scheduled_event_attributes.activity_type.name})"
    if event.event_type == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        keys = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        return f"UPSERT({','.join(sorted(keys.indexed_fields))})"
    return name


def upserted(event: HistoryEvent, key: str) -> bytes | None:
    """The raw payload an upsert sets `key` to (b"null" when it unsets it); None if untouched."""
    if event.event_type != E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return None
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    if key not in fields.indexed_fields:
        return None
    return fields.indexed_fields[key].data or b"null"


@dataclass
class Bucket:
    events: list[HistoryEvent] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def actions(self) -> int:
        return sum(actions(e) for e in self.events)


def split(
    events: Iterable[HistoryEvent], begins: Callable[[HistoryEvent], str | None]
) -> dict[str, Bucket]:
    """Walk the history in order; an event for which `begins` names a bucket opens that bucket,
    and every event until the next such event falls into it. Events before the first go to
    "start". The workflow task that follows a step's last event (the one that decides what
    comes next) therefore counts to that step, as does whatever it records."""
    buckets: dict[str, Bucket] = {"start": Bucket()}
    current = "start"
    for event in events:
        label = begins(event)
        if label is not None:
            current = label
        buckets.setdefault(current, Bucket()).events.append(event)
    return buckets
