"""JSON Lines imports, of examples and of glossary terms alike: what an import reports, and why a
line was refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from txt2sql_api.sql.outcome import SqlProblem

Outcome = Literal["added", "updated", "unchanged"]


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.refused)} refused"
        )


def validation_reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, error['loc'])) or 'line'}: {error['msg']}" for error in exc.errors()
    )


def problems_reason(problems: Iterable[SqlProblem]) -> str:
    return "; ".join(f"{p.code}: {p.message}" for p in problems)
