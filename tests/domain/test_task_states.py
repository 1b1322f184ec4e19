"""The task state machine, exhaustively: every command from every state (docs/design/task-center.md,
"States")."""

from __future__ import annotations

import itertools

import pytest

from openvias.domain import task_states
from openvias.domain.task_states import (
    Command,
    Desired,
    InvalidTransition,
    TaskState,
    Transition,
    apply,
    on_create,
)

S = TaskState
R, X = Desired.RUNNING, Desired.STOPPED
#: The expected outcome of (start, stop, delete) from each state; None = refused (busy).
TABLE: dict[TaskState, tuple[Transition | None, Transition | None, Transition | None]] = {
    # Active states: start repeats harmlessly, stop stops at once.
    S.PENDING: (Transition(S.PENDING, R, False), Transition(S.STOPPED, X, True), None),
    S.STARTING: (Transition(S.STARTING, R, False), Transition(S.STOPPED, X, True), None),
    S.RUNNING: (Transition(S.RUNNING, R, False), Transition(S.STOPPED, X, True), None),
    S.ABNORMAL: (Transition(S.ABNORMAL, R, False), Transition(S.STOPPED, X, True), None),
    S.RECOVERING: (Transition(S.RECOVERING, R, False), Transition(S.STOPPED, X, True), None),
    S.SCHEDULING: (Transition(S.SCHEDULING, R, False), Transition(S.STOPPED, X, True), None),
    # Inactive states: start starts, stop repeats harmlessly.
    S.STOPPED: (Transition(S.STARTING, R, True), Transition(S.STOPPED, X, False), None),
    S.SUCCEEDED: (Transition(S.STARTING, R, True), Transition(S.SUCCEEDED, X, False), None),
    S.FAILED: (Transition(S.STARTING, R, True), Transition(S.FAILED, X, False), None),
    S.START_FAILED: (Transition(S.STARTING, R, True), Transition(S.START_FAILED, X, False), None),
    S.CREATE_FAILED: (
        Transition(S.STARTING, R, True),
        Transition(S.CREATE_FAILED, X, False),
        None,
    ),
    S.LACK_OF_RESOURCES: (
        Transition(S.STARTING, R, True),
        Transition(S.LACK_OF_RESOURCES, X, False),
        None,
    ),
    # Busy states refuse every command.
    S.STOPPING: (None, None, None),
    S.DELETING: (None, None, None),
    S.UPGRADING: (None, None, None),
    S.FREEZING: (None, None, None),
    S.FROZEN: (None, None, None),
}
BUSY = {S.STOPPING, S.DELETING, S.UPGRADING, S.FREEZING, S.FROZEN}
DELETED = Transition(S.DELETING, X, True)


def expected(command: Command, state: TaskState) -> Transition | None:
    start, stop, _ = TABLE[state]
    if command is Command.START:
        return start
    if command is Command.STOP:
        return stop
    return None if state in BUSY else DELETED


def test_the_table_covers_every_state() -> None:
    # given / when / then: no state of the VIAS enumeration is forgotten
    assert set(TABLE) == set(TaskState)
    assert len(TaskState) == 17


@pytest.mark.parametrize(
    ("command", "state"),
    list(itertools.product(Command, TaskState)),
    ids=lambda v: str(v.value),
)
def test_apply(command: Command, state: TaskState) -> None:
    # given a task in `state`; when the user gives `command`
    want = expected(command, state)
    if want is None:
        # then a busy task refuses it, naming both
        with pytest.raises(InvalidTransition) as caught:
            apply(command, state)
        assert (caught.value.command, caught.value.state) == (command, state)
        assert command.value in str(caught.value)
        assert state.value in str(caught.value)
        return
    # then the task moves as the table says
    assert apply(command, state) == want


@pytest.mark.parametrize("command", list(Command), ids=lambda c: c.value)
def test_repeating_a_command_changes_nothing(command: Command) -> None:
    # given every state a command can be applied from
    for state in set(TaskState) - BUSY:
        first = apply(command, state)
        if command is Command.DELETE:
            # then deleting leaves a busy (DELETING) task that refuses a second delete
            with pytest.raises(InvalidTransition):
                apply(command, first.state)
            continue
        # when the command is repeated; then the second one is a harmless no-op
        again = apply(command, first.state)
        assert again == Transition(first.state, first.desired, changed=False), state


def test_a_created_task_is_pending_or_stopped() -> None:
    # given / when a task is created to run, or to stay stopped; then
    assert on_create(start=True) == Transition(S.PENDING, R, True)
    assert on_create(start=False) == Transition(S.STOPPED, X, True)


def test_state_sets_partition_the_states() -> None:
    # given the active, startable and busy sets; then every state is in exactly one
    sets = (task_states.ACTIVE, task_states.STARTABLE, task_states.BUSY)
    assert sum(len(s) for s in sets) == len(TaskState)
    assert set().union(*sets) == set(TaskState)
    assert task_states.startable_states() == task_states.STARTABLE
    assert task_states.stoppable_states() == task_states.ACTIVE


def test_lower_names_are_the_batch_count_keys() -> None:
    # given every state; then its ListBatchTasks name is its lower-case value
    for state in TaskState:
        assert state.lower_name == state.value.lower()
    assert task_states.BATCH_ONLY_STATES == ("stopped_no_service",)
