"""The glossary as each instance holds it: every term in memory, found in a question as the
database values are (leftmost-longest, case and width folded), and read again from the store
whenever it changes. Each term is checked against today's schema before it is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from txt2sql_api.db.identifiers import quote_ident
from txt2sql_api.glossary.store import GlossaryIn, GlossaryStore, GlossaryTerm, Version
from txt2sql_api.jsonl import Outcome
from txt2sql_api.schema.pruning import Hint
from txt2sql_api.sql.outcome import Refused, SqlProblem
from txt2sql_api.text import PhraseIndex


@dataclass(frozen=True)
class Found:
    """A glossary term used by a question, and the words that named it there."""

    term: GlossaryTerm
    matched: str

    def hint(self) -> Hint:
        text = " ".join([*self.term.synonyms, self.term.meaning, self.term.sql or ""])
        return Hint(f"glossary {self.term.term}", tuple(self.term.tables), text)


def probe_sql(entry: GlossaryIn) -> str:
    """A query that holds the term's expression over its tables: what the guard and the
    planner check. Parenthesized, so an expression cannot end the select list early."""
    select = f"SELECT ({entry.sql})" if entry.sql else "SELECT 1"
    if not entry.tables:
        return select
    tables = " CROSS JOIN ".join(
        ".".join(quote_ident(part) for part in name.split(".")) for name in entry.tables
    )
    return f"{select} FROM {tables} LIMIT 0"


class Terms:
    """Terms found in a question by the term or a synonym, case and width aside."""

    def __init__(self, terms: list[GlossaryTerm]) -> None:
        self.terms = {term.id: term for term in terms}
        self._phrases: PhraseIndex[int] = PhraseIndex()
        for term in terms:
            for word in [term.term, *term.synonyms]:
                self._phrases.add(word, term.id)

    def find(self, question: str) -> list[Found]:
        """The terms the question uses, in the order it uses them, each once."""
        found: dict[int, Found] = {}
        for start, end, ids in self._phrases.find(question):
            for term_id in sorted(ids):
                found.setdefault(term_id, Found(self.terms[term_id], question[start:end]))
        return list(found.values())


class Glossary:
    def __init__(
        self,
        store: GlossaryStore,
        problems: Callable[[str], Awaitable[list[SqlProblem]]],
    ) -> None:
        self._store = store
        self._problems = problems
        self._terms = Terms([])
        self._version: Version | None = None
        self._lock = asyncio.Lock()

    @property
    def terms(self) -> list[GlossaryTerm]:
        return list(self._terms.terms.values())

    def find(self, question: str) -> list[Found]:
        return self._terms.find(question)

    async def sync(self) -> None:
        """Reads the glossary again when it changed since the last read."""
        async with self._lock:
            version = await self._store.version()
            if version == self._version:
                return
            self._terms = Terms(await self._store.all())
            self._version = version

    async def checked(self, entry: GlossaryIn) -> None:
        problems = await self._problems(probe_sql(entry))
        if problems:
            raise Refused(problems)

    async def add(self, entry: GlossaryIn) -> GlossaryTerm:
        await self.checked(entry)
        term = await self._store.add(entry)
        await self.sync()
        return term

    async def put(self, entry: GlossaryIn) -> Outcome:
        """Stores the term, or replaces the stored term of that name: what an import does."""
        stored = await self._store.by_term(entry.term)
        if stored is None:
            await self.add(entry)
            return "added"
        if GlossaryIn.model_validate(stored.model_dump()) == entry:
            return "unchanged"
        await self.update(stored.id, entry)
        return "updated"

    async def update(self, term_id: int, entry: GlossaryIn) -> GlossaryTerm | None:
        await self.checked(entry)
        term = await self._store.update(term_id, entry)
        await self.sync()
        return term

    async def delete(self, term_id: int) -> GlossaryTerm | None:
        term = await self._store.delete(term_id)
        await self.sync()
        return term

    async def get(self, term_id: int) -> GlossaryTerm | None:
        return await self._store.get(term_id)

    async def all(self) -> list[GlossaryTerm]:
        """Read from the store, not from memory: what was just written elsewhere is there."""
        return await self._store.all()
