"""The task state machine: VIAS states, the commands users give, the allowed transitions.

Users act with three commands (start, stop, delete); the engine reports progress with
events (started, failed, finished, ...). Every change of ``Task.state`` goes through here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TaskState(enum.StrEnum):
    PENDING = "PENDING"
    RECOVERING = "RECOVERING"
    STARTING = "STARTING"
    UPGRADING = "UPGRADING"
    CREATE_FAILED = "CREATE_FAILED"
    START_FAILED = "START_FAILED"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    ABNORMAL = "ABNORMAL"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    DELETING = "DELETING"
    FREEZING = "FREEZING"
    FROZEN = "FROZEN"
    SCHEDULING = "SCHEDULING"
    LACK_OF_RESOURCES = "LACK_OF_RESOURCES"

    @property
    def lower_name(self) -> str:
        return self.value.lower()


#: Batch-task counts also report this lower-case-only state (no service deployed).
BATCH_ONLY_STATES = ("stopped_no_service",)


class Command(enum.StrEnum):
    START = "start"
    STOP = "stop"
    DELETE = "delete"


class Desired(enum.StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


S = TaskState

#: States in which the task holds (or is acquiring) analysis resources.
ACTIVE = frozenset({S.PENDING, S.STARTING, S.RUNNING, S.ABNORMAL, S.RECOVERING, S.SCHEDULING})
#: States the user can start from; starting an already active task is a no-op.
STARTABLE = frozenset(
    {S.STOPPED, S.SUCCEEDED, S.FAILED, S.START_FAILED, S.CREATE_FAILED, S.LACK_OF_RESOURCES}
)
#: Stopping a task that is not active is a no-op.
STOPPABLE = ACTIVE
#: Nobody may command a task while it is in one of these.
BUSY = frozenset({S.STOPPING, S.DELETING, S.UPGRADING, S.FREEZING, S.FROZEN})


class InvalidTransition(ValueError):
    def __init__(self, command: Command, state: TaskState) -> None:
        super().__init__(f"cannot {command.value} a task that is {state.value}")
        self.command = command
        self.state = state


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of a command: the new state, what the engine should aim for, and whether
    anything changed at all (repeating a command is harmless)."""

    state: TaskState
    desired: Desired
    changed: bool


def apply(command: Command, state: TaskState) -> Transition:
    if state in BUSY:
        raise InvalidTransition(command, state)
    if command is Command.START:
        if state in ACTIVE:
            return Transition(state, Desired.RUNNING, changed=False)
        return Transition(S.STARTING, Desired.RUNNING, changed=True)
    if command is Command.STOP:
        if state in STOPPABLE:
            # Nothing runs until the engine claims a task, so a stop completes at once;
            # the engine reconciles any stream still open toward ``desired``.
            return Transition(S.STOPPED, Desired.STOPPED, changed=True)
        return Transition(state, Desired.STOPPED, changed=False)
    # DELETE: allowed from every non-busy state; an active task is stopped first.
    return Transition(S.DELETING, Desired.STOPPED, changed=True)


def on_create(start: bool) -> Transition:
    """A created task is queued to run (PENDING) unless asked to stay stopped."""
    if start:
        return Transition(S.PENDING, Desired.RUNNING, changed=True)
    return Transition(S.STOPPED, Desired.STOPPED, changed=True)


def startable_states() -> frozenset[TaskState]:
    return STARTABLE


def stoppable_states() -> frozenset[TaskState]:
    return STOPPABLE
