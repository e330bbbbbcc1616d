"""Glossary terms in and out as JSON Lines, one term an object: `{"term", "synonyms"?, "meaning",
"sql"?, "tables"?}`. Every line is checked as `POST /v1/glossary` checks a term; a refused line
is reported by its number and the rest still go in. Importing a file twice changes nothing the
second time."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from pydantic import ValidationError

from txt2sql_api.glossary.index import Glossary
from txt2sql_api.glossary.store import GlossaryIn, GlossaryTerm
from txt2sql_api.jsonl import ImportReport, problems_reason, validation_reason
from txt2sql_api.sql.outcome import Refused


async def import_lines(lines: Iterable[str], glossary: Glossary) -> ImportReport:
    report = ImportReport()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            entry = GlossaryIn.model_validate_json(text)
            report.count(await glossary.put(entry))
        except ValidationError as exc:
            report.refused.append((number, validation_reason(exc)))
        except Refused as exc:
            report.refused.append((number, problems_reason(exc.problems)))
    return report


def line_of(term: GlossaryTerm) -> str:
    record = GlossaryIn.model_validate(term.model_dump()).model_dump(exclude_defaults=True)
    return json.dumps(record, ensure_ascii=False)


def export_lines(terms: Iterable[GlossaryTerm], out: TextIO) -> int:
    count = 0
    for term in terms:
        out.write(line_of(term) + "\n")
        count += 1
    return count
