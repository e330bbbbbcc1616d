"""Schema linking on the quality set: the demo and two generated business schemas (retail,
HR/finance; tests/helpers/quality/), 131 questions whose gold SQL gives the tables and columns
they need, with each schema's glossary loaded. Table recall ≥ 99 %, column recall ≥ 97 %: the
model must be shown what the question needs, whether the schema fits the budget or not; and,
where a schema does not fit, no more than five tables it does not need on average."""

from __future__ import annotations

import pytest

from tests.helpers.pg import Databases
from tests.helpers.schema_quality import (
    Linked,
    Score,
    quality_sets,
    score_linked,
)
from txt2sql_api.schema.pruning import SchemaBudget

BUDGET = SchemaBudget(4000, 10)
TABLE_RECALL = 0.99
COLUMN_RECALL = 0.97
UNNEEDED_TABLES = 5.0


@pytest.fixture(scope="module")
async def linked(demo_db: str, databases: Databases) -> dict[str, Linked]:
    return await quality_sets(demo_db, databases)


def test_every_question_is_shown_the_tables_and_columns_it_needs(
    linked: dict[str, Linked], capsys: pytest.CaptureFixture[str]
) -> None:
    total = Score()
    for name, one in linked.items():
        part = score_linked(one, BUDGET)
        with capsys.disabled():
            print(  # noqa: T201
                f"\n{name}: {part.questions} questions, tables {part.recall:.1%} of "
                f"{part.needed}, columns {part.column_recall:.1%} of {part.needed_columns}, "
                f"{part.unneeded_per_question:.2f} unneeded tables per question"
            )
        total += part
    missed = "\n".join(total.missed)
    assert total.questions >= 131
    assert total.recall >= TABLE_RECALL, missed
    assert total.column_recall >= COLUMN_RECALL, missed


def test_a_schema_over_the_budget_is_cut_to_little_more_than_the_question_needs(
    linked: dict[str, Linked],
) -> None:
    over = {name: one for name, one in linked.items() if not one.index.fits_whole(BUDGET.tokens)}
    assert set(over) == {"retail", "hr_finance"}
    for name, one in over.items():
        score = score_linked(one, BUDGET)
        assert score.unneeded_per_question <= UNNEEDED_TABLES, name
