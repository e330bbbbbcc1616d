"""`ask --csv FILE`: the result's rows written to a file as they arrive, as the page's download
writes them: UTF-8 with a byte order mark (so Excel reads Chinese text as UTF-8), NULL as an
empty field, booleans as true/false, arrays and objects as JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from txt2sql_api.answer.events import RowsEvent, StreamEvent


def csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class CsvRows:
    """Opens the file at the result's first batch (the one with the columns), so an answer
    without a result (rejected SQL, an error) leaves no file; an empty result is its header."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.written = False
        self._file: IO[str] | None = None

    def take(self, event: StreamEvent) -> None:
        if not isinstance(event, RowsEvent):
            return
        if event.columns is not None:
            self.close()
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self.rows = 0
            self.written = True
            csv.writer(self._file).writerow(c.name for c in event.columns)
        if self._file is not None:
            csv.writer(self._file).writerows([csv_field(v) for v in row] for row in event.rows)
            self.rows += len(event.rows)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
