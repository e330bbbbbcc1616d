"""Shows an answer stream as it arrives: in a terminal with colour (rich), else as plain text.

Model and database text is printed as text, never as rich markup, and with control characters
replaced, so an answer cannot move the cursor or recolour the terminal."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from txt2sql_api.answer.events import (
    AnswerEvent,
    ChartEvent,
    ClarifyEvent,
    ContextEvent,
    DoneEvent,
    ErrorEvent,
    RowsEvent,
    SqlEvent,
    StreamEvent,
    ThinkingEvent,
    UsageEvent,
)
from txt2sql_api.sql.outcome import ResultColumn

_NUMERIC_TYPES = frozenset({"int2", "int4", "int8", "numeric", "float4", "float8", "oid"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n"))


def value_text(value: Any) -> str:
    """One result value on one line: NULL, JSON for booleans, arrays and objects, else its
    text."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | dict | list):
        return json.dumps(value, ensure_ascii=False)
    return printable(str(value)).replace("\n", "\\n").replace("\t", "\\t")


def rows_summary(event: RowsEvent) -> str:
    summary = f"{event.row_count} row{'' if event.row_count == 1 else 's'}"
    return summary + (" (cut off by the row limits)" if event.truncated else "")


def clarify_text(event: ClarifyEvent) -> str:
    options = f" ({' / '.join(event.options)})" if event.options else ""
    return event.question + options


BAR_WIDTH = 40


def bar_lines(event: ChartEvent, width: int = BAR_WIDTH) -> list[str]:
    """A `bar` chart as text: one line per category, in the chart's order, its bar as long as
    its share of the largest value (a negative one drawn in a lighter shade)."""
    labels = [printable(str(label)) for label in event.spec["xAxis"]["data"]]
    values = event.spec["series"][0]["data"]
    numbers = [float(v) if isinstance(v, int | float) else 0.0 for v in values]
    top = max((abs(n) for n in numbers), default=0.0) or 1.0
    label_width = max((cell_len(label) for label in labels), default=0)
    lines = [printable(f"{event.y[0]} by {event.x}:")]
    for label, value, number in zip(labels, values, numbers, strict=True):
        shade = "░" if number < 0 else "█"
        bar = shade * round(abs(number) / top * width)
        padding = " " * (label_width - cell_len(label))
        lines.append(f"  {label}{padding} │{bar} {value_text(value)}")
    return lines


def context_lines(event: ContextEvent) -> list[str]:
    """What the model was shown, a line each: `ask --verbose`."""
    lines = [f"context (attempt {event.attempt}, {event.schema_tokens} schema tokens):"]
    for table in event.tables:
        cut = f", {table.columns_left_out} columns left out" if table.columns_left_out else ""
        lines.append(f"  table {table.table} ({table.score:g}{cut}): {'; '.join(table.reasons)}")
    lines += [f"  value {v.value!r} in {', '.join(v.columns)}" for v in event.values]
    lines += [f"  date {d.text} = {d.start} <= t < {d.end}" for d in event.dates]
    lines += [f"  glossary {g.term} ({g.matched}): {g.meaning}" for g in event.glossary]
    lines += [f"  example #{e.id} ({e.score:g}): {e.question}" for e in event.examples]
    return [printable(line) for line in lines]


class Renderer(ABC):
    """Tells the events apart and keeps the outcome; subclasses draw them. `verbose` also
    shows the `context` events (what the model is shown)."""

    verbose = False

    def __init__(self) -> None:
        self.failed = True
        self.finished = False
        self.columns: list[ResultColumn] = []
        self.conversation_id: str | None = None

    def show(self, event: StreamEvent) -> None:
        if isinstance(event, ContextEvent):
            if self.verbose:
                self.context(event)
        elif isinstance(event, ThinkingEvent):
            self.thinking(event)
        elif isinstance(event, SqlEvent):
            # A later attempt's SQL supersedes an earlier attempt's error.
            self.failed = not event.valid
            self.sql(event)
        elif isinstance(event, RowsEvent):
            self.columns = event.columns or self.columns
            self.rows(event)
        elif isinstance(event, ChartEvent):
            # The terminal draws bars only: a line or a pie needs the page.
            if event.mark == "bar":
                self.bars(bar_lines(event))
        elif isinstance(event, AnswerEvent):
            self.answer(event)
        elif isinstance(event, ClarifyEvent):
            # A question back is an answer too: the user replies in the conversation.
            self.failed = False
            self.clarify(event)
        elif isinstance(event, UsageEvent):
            self.usage(event)
        elif isinstance(event, ErrorEvent):
            self.failed = True
            self.error(event.message, event.code)
        elif isinstance(event, DoneEvent):
            self.finished = True
            self.conversation_id = event.conversation_id
            self.done()
            if event.conversation_id:
                # The id to follow up with: `ask --conversation ID`.
                self.conversation(event.conversation_id)

    @property
    def exit_code(self) -> int:
        """0 when the stream ended with checked SQL (and its rows), else 1."""
        return 0 if self.finished and not self.failed else 1

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """The stream is over, however it ended: leave the output tidy."""
        self.done()

    @abstractmethod
    def context(self, event: ContextEvent) -> None: ...

    @abstractmethod
    def thinking(self, event: ThinkingEvent) -> None: ...

    @abstractmethod
    def sql(self, event: SqlEvent) -> None: ...

    @abstractmethod
    def rows(self, event: RowsEvent) -> None: ...

    @abstractmethod
    def bars(self, lines: list[str]) -> None: ...

    @abstractmethod
    def answer(self, event: AnswerEvent) -> None: ...

    @abstractmethod
    def clarify(self, event: ClarifyEvent) -> None: ...

    @abstractmethod
    def usage(self, event: UsageEvent) -> None: ...

    @abstractmethod
    def error(self, message: str, code: str) -> None: ...

    @abstractmethod
    def done(self) -> None: ...

    @abstractmethod
    def conversation(self, conversation_id: str) -> None: ...

    @abstractmethod
    def note(self, text: str) -> None:
        """A line of the command's own, after the answer (where its rows were written)."""


class PlainRenderer(Renderer):
    """For pipes and CI: reasoning as it arrives, the SQL, rows as tab-separated lines; errors on
    stderr."""

    def __init__(self, out: IO[str], err: IO[str]) -> None:
        super().__init__()
        self.out = out
        self.err = err
        self.at_line_start = True
        self.in_answer = False

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.at_line_start = text.endswith("\n")

    def _end_line(self) -> None:
        if not self.at_line_start:
            self._write("\n")

    def _line(self, text: str) -> None:
        self._end_line()
        self._write(text + "\n")

    def context(self, event: ContextEvent) -> None:
        for line in context_lines(event):
            self._line(f"-- {line}")

    def thinking(self, event: ThinkingEvent) -> None:
        self._write(printable(event.delta))

    def sql(self, event: SqlEvent) -> None:
        verdict = "checked" if event.valid else "rejected"
        self._line(f"\n-- SQL ({verdict}):")
        self._line(printable(event.sql))
        for problem in event.problems:
            self._line(f"-- {problem.code}: {printable(problem.message)}")

    def rows(self, event: RowsEvent) -> None:
        if event.columns:
            self._line("\n" + "\t".join(printable(c.name) for c in event.columns))
        for values in event.rows:
            self._line("\t".join(value_text(v) for v in values))
        if event.final:
            self._line(f"-- {rows_summary(event)}")

    def bars(self, lines: list[str]) -> None:
        self._line("")
        for line in lines:
            self._line(line)

    def answer(self, event: AnswerEvent) -> None:
        if not self.in_answer:
            self._line("")
            self.in_answer = True
        self._write(printable(event.delta))

    def clarify(self, event: ClarifyEvent) -> None:
        self._line(f"-- asks back: {printable(clarify_text(event))}")

    def usage(self, event: UsageEvent) -> None:
        self._line(f"-- {event.model}: {event.input_tokens} tokens in, {event.output_tokens} out")

    def error(self, message: str, code: str) -> None:
        self._end_line()
        self.err.write(f"error: {printable(message)} ({code})\n")
        self.err.flush()

    def done(self) -> None:
        self._end_line()

    def conversation(self, conversation_id: str) -> None:
        self._line(f"-- conversation {conversation_id}")

    def note(self, text: str) -> None:
        self._line(f"-- {printable(text)}")


class TerminalRenderer(Renderer):
    """For a person at a terminal: a spinner until the first event, the reasoning dimmed as it
    arrives, the SQL highlighted in a panel, the rows as a table once the last batch is in."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.status = console.status("Asking…", spinner="dots")
        self.table: Table | None = None
        self.mid_line = False

    def __enter__(self) -> Renderer:
        self.status.start()
        return self

    def show(self, event: StreamEvent) -> None:
        self.status.stop()
        super().show(event)

    def stop(self) -> None:
        self.status.stop()
        super().stop()

    def _end_streamed_line(self) -> None:
        if self.mid_line:
            self.console.print()
            self.mid_line = False

    def context(self, event: ContextEvent) -> None:
        self._end_streamed_line()
        for line in context_lines(event):
            self.console.print(Text(line, style="cyan"))

    def thinking(self, event: ThinkingEvent) -> None:
        self.mid_line = True
        self.console.print(Text(printable(event.delta), style="dim"), end="")

    def sql(self, event: SqlEvent) -> None:
        self._end_streamed_line()
        title = "[green]SQL, checked[/]" if event.valid else "[red]SQL, rejected[/]"
        code = Syntax(printable(event.sql), "sql", theme="monokai", word_wrap=True)
        self.console.print(Panel(code, title=title, title_align="left", expand=False))
        for problem in event.problems:
            self.console.print(Text(f"{problem.code}: {printable(problem.message)}", style="red"))

    def rows(self, event: RowsEvent) -> None:
        if self.table is None:
            self.table = Table()
            for column in self.columns:
                justify: JustifyMethod = "right" if column.type in _NUMERIC_TYPES else "left"
                self.table.add_column(Text(printable(column.name)), justify=justify)
        for values in event.rows:
            self.table.add_row(*(Text(value_text(v)) for v in values))
        if event.final:
            self.table.caption = rows_summary(event)
            self.console.print(self.table)
            self.table = None

    def bars(self, lines: list[str]) -> None:
        self.console.print(Text(lines[0], style="bold"))
        for line in lines[1:]:
            self.console.print(Text(line, style="cyan"))

    def answer(self, event: AnswerEvent) -> None:
        self.mid_line = True
        self.console.print(Text(printable(event.delta), style="bold"), end="")

    def usage(self, event: UsageEvent) -> None:
        self._end_streamed_line()
        self.console.print(
            Text(f"{event.model}: {event.input_tokens} tokens in, {event.output_tokens} out"),
            style="dim",
        )

    def clarify(self, event: ClarifyEvent) -> None:
        self._end_streamed_line()
        self.console.print(Text(f"? {printable(clarify_text(event))}", style="bold yellow"))

    def error(self, message: str, code: str) -> None:
        self._end_streamed_line()
        self.console.print(Text(f"error: {printable(message)} ({code})", style="bold red"))

    def conversation(self, conversation_id: str) -> None:
        self.console.print(Text(f"conversation {conversation_id}", style="dim"))

    def note(self, text: str) -> None:
        self.console.print(Text(printable(text), style="dim"))

    def done(self) -> None:
        self._end_streamed_line()
