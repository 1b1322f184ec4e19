"""Read statements as values: the types that let one query function run on a request
session or on a driver connection of its own (``store/direct.py``), and the compilation of
Core statements for a driver (done once per statement and dialect)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect

AnySelect = Select[*tuple[Any, ...]]
Row = Sequence[Any]
#: Runs a statement with bound values, returns its rows: a session's or ``store.direct``'s.
Fetch = Callable[[AnySelect, Mapping[str, Any]], Awaitable[Sequence[Row]]]


class CompiledStatements:
    """Core statements compiled once for one dialect: SQL text, bind names in order, and
    the result processors SQLAlchemy would apply (JSON decoding on SQLite, say), so that
    rows come out as they would through a session."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[int, tuple[AnySelect, Compiled]] = {}

    def get(self, stmt: AnySelect) -> Compiled:
        entry = self._compiled.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            compiled = stmt.compile(dialect=self.dialect)
            processors = tuple(
                column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)
                for column in stmt.selected_columns
            )
            entry = (
                stmt,
                Compiled(
                    str(compiled),
                    tuple(compiled.positiontup or ()),
                    processors if any(processors) else None,
                ),
            )
            self._compiled[id(stmt)] = entry
        return entry[1]


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...] | None

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(params[name] for name in self.names)

    def rows(self, rows: Sequence[Row]) -> Sequence[Row]:
        if self.processors is None:
            return rows
        processors = self.processors
        return [
            tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
            for row in rows
        ]
