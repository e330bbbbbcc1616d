"""Examples in and out as JSON Lines, one pair an object: `{"question", "sql", "note"?,
"tags"?, "source"?}`. Every imported line is checked as `POST /v1/examples` checks a pair (its
fields, then the guard and `EXPLAIN` against the database); a refused line is reported by its
number and the rest still go in. Importing a file twice changes nothing the second time."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from pydantic import ValidationError

from txt2sql_api.examples.store import Example, ExampleIn, ExampleSource, ExamplesStore
from txt2sql_api.jsonl import ImportReport, problems_reason, validation_reason
from txt2sql_api.sql.verify import SqlVerifier


class ExampleLine(ExampleIn):
    source: ExampleSource = "api"


async def import_lines(
    lines: Iterable[str], store: ExamplesStore, verifier: SqlVerifier
) -> ImportReport:
    report = ImportReport()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            line = ExampleLine.model_validate_json(text)
        except ValidationError as exc:
            report.refused.append((number, validation_reason(exc)))
            continue
        problems = await verifier.problems(line.sql)
        if problems:
            report.refused.append((number, problems_reason(problems)))
            continue
        _, outcome = await store.add(line.pair(), line.source)
        report.count(outcome)
    return report


def line_of(example: Example) -> str:
    record: dict[str, object] = {"question": example.question, "sql": example.sql}
    if example.note is not None:
        record["note"] = example.note
    if example.tags:
        record["tags"] = example.tags
    record["source"] = example.source
    return json.dumps(record, ensure_ascii=False)


async def export_lines(store: ExamplesStore, out: TextIO) -> int:
    count = 0
    async for example in store.all():
        out.write(line_of(example) + "\n")
        count += 1
    return count
