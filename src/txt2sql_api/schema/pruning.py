"""Only the tables a question needs: rank every table by how well its name, comment, columns and
values match the question, add the tables needed to join the chosen ones, and render whole
tables until the token budget is spent.

Matching works without a dictionary: Chinese text is cut into character bigrams (and single
characters, weighted low), identifiers into their parts (`zdkl_rtj` → `zdkl`, `rtj`), English
into words. A term counts for a table with the weight of the best place it occurs (name,
comment, column) times its rarity across tables (idf), so "的" or "编号" weigh little. Database
values found in the question ("沈塘桥" in `dtzpt.zdmc`) weigh most. The question's words also
stand for their synonyms (synonyms.py: 消费 for 金额, `je`, `amount`) and for what the glossary
terms it uses name (`Hint`), a little below its own words.

A table too wide to send whole (when the whole schema does not fit) is sent with its keys, its
date and time columns, and the columns the question matches; the model is told how many more
there are.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from pydantic import BaseModel, Field

from txt2sql_api.config import Settings
from txt2sql_api.llm.qwen_tokens import count_fragment_tokens, count_tokens
from txt2sql_api.schema.introspect import Column, SchemaSnapshot, Table
from txt2sql_api.schema.render import render_matches, render_schema, render_table
from txt2sql_api.schema.synonyms import BUILT_IN, SYNONYM_FACTOR, Synonyms
from txt2sql_api.schema.value_index import ValueMatch
from txt2sql_api.text import cjk_grams

NAME_WEIGHT = 3.0
TABLE_COMMENT_WEIGHT = 3.0
COLUMN_COMMENT_WEIGHT = 1.5
COLUMN_NAME_WEIGHT = 1.0
SINGLE_CHAR_FACTOR = 0.25
VALUE_WEIGHT = 12.0
# A table in the SQL of a retrieved verified example, times the example's similarity.
EXAMPLE_WEIGHT = 8.0
# Tables with evidence scoring at least this share of the best table's score come first; the
# other tables with evidence follow while the budget lasts.
RELATIVE_CUTOFF = 0.35
# A term is evidence for a table where it weighs (place times rarity) at least what the
# question's strongest term would weigh in a column comment instead of a table's name: a word a
# third of the tables share ("门店", "商品", "日期") ranks them all, but brings in only those
# where it weighs about as much as the question's best evidence.
EVIDENCE_SHARE = COLUMN_COMMENT_WEIGHT / NAME_WEIGHT
# Products of the same weights in another order differ in the last bits.
_FLOAT_SLACK = 1e-9
# How many more tables with evidence, per table chosen above the cutoff, may fill the budget
# left: in a catalog of a thousand, a shared word is evidence for hundreds.
MORE_WITH_EVIDENCE = 2
# No table renders in fewer tokens: a catalog with more tables than the budget holds at this
# rate cannot fit whole, and is not counted to find out.
MIN_TABLE_TOKENS = 12
MAX_JOIN_HOPS = 3
# The tables scoring within this share of the best lead: each brings every table it references.
LEADER_SHARE = 0.9
# A value held by several tables ("杭州": a city of stores, of suppliers, of addresses) is
# evidence for the holders scoring within this share of the best holder.
VALUE_LEADER_SHARE = 0.9
# A table named by a glossary term the question uses, or by the SQL of the turns before it.
GLOSSARY_WEIGHT = 10.0
# Wider than this, a table is cut to the columns that matter when the whole schema does not fit.
WIDE_COLUMNS = 24
# A pinyin abbreviation (`je`, `mc`) also matches at the end of an identifier part made of
# initials only (`ddje` 订单金额, `zdmc` 站点名称), never inside an English word (`month`).
_INITIALS = re.compile(r"[b-df-hj-np-tv-z]*")
_ABBREVIATION = re.compile(r"[a-z]{2,3}")
_TIME_TYPES = ("date", "time", "timestamp", "interval")
# Kept in a wide table whatever the question says: what names a row and what says whether it
# counts (a person's name, an order's status), which answers list and filter by.
_LABEL_WORDS = ("名称", "姓名", "名字", "name", "mc", "xm", "状态", "status", "zt")

_PARTICLES = frozenset("的了吗呢吧啊")
_QUESTION_WORDS = frozenset(
    ("多少", "哪些", "哪个", "哪家", "哪里", "哪儿", "什么", "几个", "几家", "有几", "是多", "列出",
     "一下", "所有", "每个", "各个", "分别", "请问", "查询", "显示", "给出")
)  # fmt: skip

_LATIN = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def text_terms(text: str) -> Iterator[str]:
    """Chinese bigrams and single characters, and lower-case Latin words (identifiers split at
    underscores and camelCase, a plural `s` dropped). A bigram with a particle (的, 了) spans two
    words ("的门" of 最高的门店) and a question word (多少, 哪些) asks rather than names: neither
    is a term."""
    for gram in cjk_grams(text):
        if len(gram) == 1 or not (_PARTICLES.intersection(gram) or gram in _QUESTION_WORDS):
            yield gram
    for chunk in _LATIN.findall(text):
        for part in _CAMEL.findall(chunk) or [chunk]:
            word = part.lower()
            if len(word) > 3 and word.endswith("s"):
                word = word[:-1]
            if len(word) > 1:
                yield word


def _weight(term: str) -> float:
    return SINGLE_CHAR_FACTOR if len(term) == 1 else 1.0


def _fields(table: Table) -> Iterator[tuple[str, str, float]]:
    """(where, text, weight) for every place of a table that can match a question."""
    yield "name", table.name, NAME_WEIGHT
    if table.comment:
        yield "comment", table.comment, TABLE_COMMENT_WEIGHT
    for column in table.columns:
        yield f"column {column.name}", column.name, COLUMN_NAME_WEIGHT
        if column.comment:
            yield f"column {column.name}", column.comment, COLUMN_COMMENT_WEIGHT


@dataclass(frozen=True)
class Hint:
    """Outside evidence for the question: a glossary term it uses, or the conversation it
    follows up, with the tables they name and text (a term's synonyms, meaning, SQL) whose
    terms count as the question's. `label` says where it comes from, in the reasons."""

    label: str
    tables: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class _Want:
    """A term looked for in the tables: the question's own (factor 1), or one it stands for."""

    factor: float
    via: str | None = None
    # Whether the term is evidence for the tables it is in: the question's words and their
    # synonyms are; a hint's text (a glossary meaning, earlier SQL) only ranks, its evidence
    # being the tables it names.
    evidence: bool = True
    # Its rarity (idf) when it spells a pinyin abbreviation: that of the word, not its own.
    rarity: float | None = None
    # What of the question it stands for: the term itself, or the question's word a synonym
    # stands in for (`store`, `md` and 门店 are one concept).
    concept: str = ""


@dataclass(frozen=True)
class SchemaBudget:
    tokens: int
    max_tables: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SchemaBudget:
        return cls(settings.schema_token_budget, settings.schema_max_tables)


class TableChoice(BaseModel):
    table: str
    score: float = Field(description="Relevance to the question; 0 for a table added to join.")
    reasons: list[str]
    sent: bool = Field(description="Whether the table is in the prompt (false: over the budget).")
    columns_left_out: int = Field(
        default=0, description="Columns of a wide table not shown: not matched, not keys."
    )


class QuestionValue(BaseModel):
    value: str
    columns: list[str] = Field(description="`schema.table.column` holding the value.")


class Selection(BaseModel):
    budget_tokens: int
    schema_tokens: int = Field(description="Qwen tokens of the schema part of the prompt.")
    values: list[QuestionValue]
    tables: list[TableChoice]


@dataclass
class Pruned:
    tables: list[Table]
    matches: list[ValueMatch]
    selection: Selection
    schema_text: str


@dataclass
class _Candidate:
    index: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    added: bool = False  # for another table's sake: to join it or to look its codes up
    # Real evidence: a value (where the rest of the question points too), a glossary term or
    # earlier SQL naming it, a similar example's SQL, or a term of two characters or more in the
    # table where it weighs most, at least EVIDENCE_SHARE of the question's strongest; a lone
    # shared character, or a word most tables share, is not.
    evidence: bool = False


class TableIndex:
    """Built once per schema snapshot; `select` is what each question pays."""

    def __init__(self, snapshot: SchemaSnapshot, synonyms: Synonyms = BUILT_IN) -> None:
        self.snapshot = snapshot
        self._synonyms = synonyms
        self._tables = snapshot.tables
        self._position = {t.qualified_name: i for i, t in enumerate(self._tables)}
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        for i, table in enumerate(self._tables):
            best: dict[str, float] = {}
            for _, text, weight in _fields(table):
                for term in text_terms(text):
                    best[term] = max(best.get(term, 0.0), weight)
            for term, weight in best.items():
                self._postings[term][i] = weight * _weight(term)
        # A table's parents: what its foreign keys reference, or what a view reads.
        self._parents: list[list[int]] = [[] for _ in self._tables]
        self._neighbours: list[set[int]] = [set() for _ in self._tables]
        for i, table in enumerate(self._tables):
            for name in [fk.ref_table for fk in table.foreign_keys] + table.depends_on:
                j = self._position.get(name)
                if j is not None and j != i and j not in self._parents[i]:
                    self._parents[i].append(j)
                    self._neighbours[i].add(j)
                    self._neighbours[j].add(i)
        # Per table, rendered and counted once per snapshot: the same tables come up again and
        # again, and rendering and tokenizing them was most of a question's pruning time.
        self._rendered: dict[int, str] = {}
        self._tokens: dict[int, int] = {}
        self._whole_cost: int | None = None
        self._terms_of: dict[int, list[tuple[str, frozenset[str]]]] = {}
        self._ending_with: dict[str, list[str]] = {}
        self._rarities: dict[str, float | None] = {}
        self._label_terms: frozenset[str] | None = None
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        # A bare table name as the pinned search path resolves it: the first schema with it.
        self._by_bare_name: dict[str, int] = {}
        for i, table in enumerate(self._tables):
            self._by_bare_name.setdefault(table.name, i)

    def _posting_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A term's postings as arrays, made on first use: a shared word is in hundreds of
        tables, and adding them up one by one was most of a question's ranking time."""
        if term not in self._arrays:
            postings = self._postings.get(term)
            self._arrays[term] = (
                (np.fromiter(postings, dtype=np.intp), np.fromiter(postings.values(), dtype=float))
                if postings
                else None
            )
        return self._arrays[term]

    def _idf(self, term: str) -> float:
        return math.log(1 + len(self._tables) / len(self._postings[term]))

    def wanted(self, question: str, hints: Sequence[Hint] = ()) -> dict[str, _Want]:
        """The terms to look for: the question's own, then those of the synonyms of its words
        and of the glossary terms it uses."""
        wanted = {term: _Want(1.0, concept=term) for term in text_terms(question)}
        for synonym in self._synonyms.of(question):
            via = f"synonym {synonym.word}→{synonym.other}"
            spellings = self._spellings(synonym.other)
            rarity = self._rarity(synonym.other, spellings)
            for term in spellings:
                wanted.setdefault(
                    term, _Want(SYNONYM_FACTOR, via, rarity=rarity, concept=synonym.word)
                )
        for hint in hints:
            for term in text_terms(hint.text):
                if len(term) > 1:
                    wanted.setdefault(term, _Want(SYNONYM_FACTOR, hint.label, evidence=False))
        return wanted

    def _spellings(self, word: str) -> list[str]:
        """A synonym's terms of two characters or more; for a pinyin abbreviation also the
        identifier parts of this schema that end with it."""
        terms = [t for t in text_terms(word) if len(t) > 1]
        if not _ABBREVIATION.fullmatch(word):
            return terms
        if word not in self._ending_with:
            self._ending_with[word] = [
                term
                for term in self._postings
                if term.endswith(word)
                and len(term) > len(word)
                and _INITIALS.fullmatch(term[: -len(word)])
            ]
        return terms + self._ending_with[word]

    def _rarity(self, word: str, spellings: list[str]) -> float | None:
        """A pinyin abbreviation's rarity across every table that spells it (`sl` in `qcsl`,
        `rksl`, `cksl`): each identifier is rare, however common the word, and a table of four
        quantities outranked the one the question meant."""
        if not _ABBREVIATION.fullmatch(word):
            return None
        if word not in self._rarities:
            tables = {i for term in spellings for i in self._postings.get(term, {})}
            self._rarities[word] = math.log(1 + len(self._tables) / len(tables)) if tables else None
        return self._rarities[word]

    def rank(
        self,
        question: str,
        matches: Iterable[ValueMatch],
        example_tables: Sequence[tuple[str, float]] = (),
        hints: Sequence[Hint] = (),
        wanted: dict[str, _Want] | None = None,
    ) -> list[_Candidate]:
        wanted = self.wanted(question, hints) if wanted is None else wanted
        # Plain sums first: the terms' postings are the hot loop (a shared word is in hundreds
        # of tables). Sorted: the same sums in the same order, so equal scores stay equal.
        scores = np.zeros(len(self._tables))
        # Per table, the weight of its strongest term that can be evidence.
        strongest = np.zeros(len(self._tables))
        # Per concept of the question, per table, the weight of its strongest term.
        concepts: dict[str, np.ndarray] = {}
        matched = False
        for term in sorted(wanted):
            arrays = self._posting_arrays(term)
            if arrays is None:
                continue
            positions, weights = arrays
            want = wanted[term]
            rarity = self._idf(term) if want.rarity is None else want.rarity
            gained = weights * (rarity * want.factor)
            # A term's positions are distinct: fancy-index addition adds each once.
            scores[positions] += gained
            if len(term) > 1 and want.evidence:
                strongest[positions] = np.maximum(strongest[positions], gained)
                best = concepts.setdefault(want.concept, np.zeros(len(self._tables)))
                best[positions] = np.maximum(best[positions], gained)
            matched = True
        bar = strongest.max(initial=0.0) * EVIDENCE_SHARE * (1 - _FLOAT_SLACK)
        # A concept is evidence for the tables where it weighs most: 门店 for the stores
        # table, not for the shifts, traffic and promotions of stores that also say it.
        evidence = np.zeros(len(self._tables), dtype=bool)
        for best in concepts.values():
            most = best.max() * (1 - _FLOAT_SLACK)
            evidence |= (best > 0) & (best >= most) & (best >= bar)
        candidates = {
            int(i): _Candidate(int(i), float(scores[i]), evidence=bool(evidence[i]))
            for i in (np.flatnonzero(scores) if matched else ())
        }

        def candidate_at(position: int) -> _Candidate:
            return candidates.setdefault(position, _Candidate(position))

        holders_of: list[set[int]] = []
        for match in matches:
            tables = {ref.table for ref in match.holders}
            held: set[int] = set()
            for ref in match.holders:
                position = self._position.get(ref.table)
                if position is not None:
                    candidate = candidate_at(position)
                    candidate.score += VALUE_WEIGHT / len(tables)
                    candidate.reasons.append(f"value {match.value!r} in {ref.column}")
                    held.add(position)
            holders_of.append(held)
        # Once every value has scored: the holders the rest of the question points at.
        for held in holders_of:
            top = max((candidates[i].score for i in held), default=0.0)
            for i in held:
                if candidates[i].score >= top * VALUE_LEADER_SHARE * (1 - _FLOAT_SLACK):
                    candidates[i].evidence = True
        named = [
            (
                name,
                EXAMPLE_WEIGHT * min(similarity, 1.0),
                f"in the SQL of a similar example ({similarity:.2f})",
            )
            for name, similarity in example_tables
        ]
        named += [
            (name, GLOSSARY_WEIGHT, f"named by {hint.label}")
            for hint in hints
            for name in hint.tables
        ]
        seen: set[tuple[int, str]] = set()
        for name, weight, reason in named:
            position = self._resolve(name)
            kind = reason.split(" (")[0]
            if position is None or (position, kind) in seen:
                continue  # the best example naming a table counts for it
            seen.add((position, kind))
            candidate = candidate_at(position)
            candidate.score += weight
            candidate.reasons.append(reason)
            candidate.evidence = True
        return sorted(candidates.values(), key=lambda c: (-c.score, c.index))

    def _resolve(self, name: str) -> int | None:
        if "." in name:
            return self._position.get(name)
        return self._by_bare_name.get(name)

    def select(
        self,
        question: str,
        budget: SchemaBudget,
        *,
        explain: bool = True,
        example_tables: Sequence[tuple[str, float]] = (),
        hints: Sequence[Hint] = (),
        dated: bool = False,
    ) -> Pruned:
        """The tables for this question's prompt, recall first: every table when the whole
        schema fits the budget (best-ranked first); else the tables with evidence (terms,
        synonyms, values, glossary terms, the tables of similar examples' SQL), with their
        joins, while the budget lasts. `explain=False` leaves out the per-table term reasons,
        which only a human reading `/v1/schema?question=` needs; `dated`: the question names
        dates (上个月, 2024年3月)."""
        matches = self.snapshot.find_values(question)
        wanted = self.wanted(question, hints)
        ranked = self.rank(question, matches, example_tables, hints, wanted)
        if any(c.evidence for c in ranked):
            cutoff = ranked[0].score * RELATIVE_CUTOFF
            first = [c for c in ranked if c.evidence and c.score >= cutoff][: budget.max_tables]
        else:
            # No evidence at all: the best connected tables are the likeliest to be useful.
            first = [
                _Candidate(i, 0.0, ["no evidence: most joined tables first"])
                for i in sorted(range(len(self._tables)), key=lambda i: -len(self._neighbours[i]))
            ][: budget.max_tables]
        ordered = self._with_parents(
            self._with_joins(first), {c.index for c in ranked}, dated=dated
        )
        placed = {c.index for c in ordered}
        # Then the other tables with evidence, so no budget is left unused while one waits; and
        # when the whole schema fits, every table.
        rest = [c for c in ranked if c.index not in placed and c.evidence][
            : MORE_WITH_EVIDENCE * budget.max_tables
        ]
        whole = self.fits_whole(budget.tokens)
        if whole:
            rest += self._remaining(placed | {c.index for c in rest})
        return self._fit(wanted, ordered + rest, matches, budget.tokens, explain, cut=not whole)

    def fits_whole(self, budget_tokens: int) -> bool:
        if len(self._tables) * MIN_TABLE_TOKENS > budget_tokens:
            return False
        if self._whole_cost is None:
            self._whole_cost = sum(self._cost(i) for i in range(len(self._tables)))
        return self._whole_cost <= budget_tokens

    def _remaining(self, placed: set[int]) -> list[_Candidate]:
        return [
            _Candidate(i, reasons=["the whole schema fits the budget"])
            for i in range(len(self._tables))
            if i not in placed
        ]

    def _with_joins(self, chosen: list[_Candidate]) -> list[_Candidate]:
        """The chosen tables in rank order, each preceded by the tables that join it to the
        ones before it, when they are not joined directly."""
        out: list[_Candidate] = []
        placed: set[int] = set()
        for candidate in chosen:
            if candidate.index in placed:
                continue
            for bridge in self._bridge(candidate.index, placed):
                joined = self._tables[candidate.index].qualified_name
                out.append(_Candidate(bridge, reasons=[f"joins {joined}"], added=True))
                placed.add(bridge)
            out.append(candidate)
            placed.add(candidate.index)
        return out

    def _with_parents(
        self, ordered: list[_Candidate], matched: set[int], *, dated: bool
    ) -> list[_Candidate]:
        """Each chosen table followed by the tables it references, where its names and codes
        are looked up: facilities by station need the stations table. A leading table brings
        every table it references; another table those the question also matches, and, when
        the question has dates and the table none, those holding dates (a voucher's entries are
        dated by their voucher): each of a hub's references is a table more."""
        placed = {c.index for c in ordered}
        top = max((c.score for c in ordered), default=0.0)
        leaders = {c.index for c in ordered if not c.added and c.score >= top * LEADER_SHARE}
        out: list[_Candidate] = []
        for candidate in ordered:
            out.append(candidate)
            if candidate.added:
                continue
            i = candidate.index
            undated = dated and not self._has_dates(i)
            parents = [
                p
                for p in self._parents[i]
                if p not in placed
                and (i in leaders or p in matched or (undated and self._has_dates(p)))
            ]
            placed.update(parents)
            referrer = self._tables[i].qualified_name
            out += [
                _Candidate(p, reasons=[f"referenced by {referrer}"], added=True) for p in parents
            ]
        return out

    def _has_dates(self, index: int) -> bool:
        return any(c.type.startswith(_TIME_TYPES) for c in self._tables[index].columns)

    def _bridge(self, start: int, placed: set[int]) -> list[int]:
        """The tables between `start` and the nearest placed table, over foreign keys."""
        if not placed or self._neighbours[start] & placed:
            return []
        came_from: dict[int, int] = {start: start}
        frontier = deque([(start, 0)])
        while frontier:
            node, hops = frontier.popleft()
            if hops == MAX_JOIN_HOPS:
                continue
            for nxt in sorted(self._neighbours[node]):
                if nxt in came_from:
                    continue
                came_from[nxt] = node
                if nxt in placed:
                    path = []
                    step = node
                    while step != start:
                        path.append(step)
                        step = came_from[step]
                    return path
                frontier.append((nxt, hops + 1))
        return []

    def _render(self, index: int) -> str:
        if index not in self._rendered:
            self._rendered[index] = render_table(self._tables[index])
        return self._rendered[index]

    def _cost(self, index: int) -> int:
        if index not in self._tokens:
            # +2: the blank line between two tables.
            self._tokens[index] = count_tokens(self._render(index)) + 2
        return self._tokens[index]

    def _fit(
        self,
        wanted: dict[str, _Want],
        ordered: list[_Candidate],
        matches: list[ValueMatch],
        budget_tokens: int,
        explain: bool,
        *,
        cut: bool,
    ) -> Pruned:
        """Tables in order while they fit, wide ones cut to the columns that matter when `cut`;
        a question value is told only for the columns of tables sent ("正常" may be in
        hundreds of status columns)."""
        bare = [replace(m, holders=()) for m in matches]
        spent = count_fragment_tokens(render_matches(bare)) + 2 if matches else 0
        # What telling a table's values costs: ", table.column" for each column holding one.
        told_cost: dict[str, int] = defaultdict(int)
        for m in matches:
            for ref in m.holders:
                told_cost[ref.table] += count_fragment_tokens(f", {ref.table}.{ref.column}")
        sent: list[tuple[Table, str]] = []  # as shown: a wide table cut to its kept columns
        choices: list[TableChoice] = []
        for candidate in ordered:
            if budget_tokens - spent < MIN_TABLE_TOKENS:
                break  # full: no table fits any more
            table = self._tables[candidate.index]
            shown, text, cost, left_out = self._shown(candidate.index, wanted, matches, cut)
            cost += told_cost.get(table.qualified_name, 0)
            fits = spent + cost <= budget_tokens
            if fits:
                spent += cost
                sent.append((shown, text))
            choices.append(
                TableChoice(
                    table=table.qualified_name,
                    score=round(candidate.score, 3),
                    reasons=candidate.reasons
                    + (self._term_reasons(wanted, candidate.index) if explain else []),
                    sent=fits,
                    columns_left_out=left_out,
                )
            )
        names = {table.qualified_name for table, _ in sent}
        told = [
            replace(m, holders=tuple(r for r in m.holders if r.table in names)) for m in matches
        ]
        told = [m for m in told if m.holders]
        text = render_schema([text for _, text in sent], told)
        selection = Selection(
            budget_tokens=budget_tokens,
            # Unexplained, the sum of the parts' counts (within a few tokens) saves a count.
            schema_tokens=count_tokens(text) if explain else spent,
            values=[
                QuestionValue(
                    value=m.value, columns=[f"{ref.table}.{ref.column}" for ref in m.holders]
                )
                for m in told
            ],
            tables=choices,
        )
        return Pruned([table for table, _ in sent], told, selection, text)

    def _shown(
        self, index: int, wanted: dict[str, _Want], matches: list[ValueMatch], cut: bool
    ) -> tuple[Table, str, int, int]:
        """A table as shown, its text, its tokens, and how many of its columns it leaves out."""
        table = self._tables[index]
        if not cut or len(table.columns) <= WIDE_COLUMNS:
            return table, self._render(index), self._cost(index), 0
        kept = self._kept_columns(index, wanted, matches)
        left_out = len(table.columns) - len(kept)
        shown = table.model_copy(update={"columns": kept})
        text = render_table(shown) + f"\n  -- {left_out} more columns not shown"
        return shown, text, count_tokens(text) + 2, left_out

    def _kept_columns(
        self, index: int, wanted: dict[str, _Want], matches: list[ValueMatch]
    ) -> list[Column]:
        """A wide table's keys, date and time columns, and the columns the question matches
        (by name, comment, synonym, glossary term or value), in the table's order."""
        table = self._tables[index]
        keep = set(table.primary_key)
        keep.update(c for fk in table.foreign_keys for c in fk.columns)
        keep.update(c for key in table.unique for c in key)
        keep.update(c.name for c in table.columns if c.type.startswith(_TIME_TYPES))
        keep.update(
            ref.column for m in matches for ref in m.holders if ref.table == table.qualified_name
        )
        labels = self._labels()
        for where, terms in self._field_terms(index):
            if where.startswith("column ") and any(t in wanted or t in labels for t in terms):
                keep.add(where.removeprefix("column "))
        return [c for c in table.columns if c.name in keep]

    def _labels(self) -> frozenset[str]:
        if self._label_terms is None:
            self._label_terms = frozenset(t for w in _LABEL_WORDS for t in self._spellings(w))
        return self._label_terms

    def _term_reasons(self, wanted: dict[str, _Want], index: int) -> list[str]:
        """Which of the question's terms (and those it stands for) matched where, for a human
        reading `/v1/schema`."""
        found: dict[str, set[str]] = defaultdict(set)
        for where, terms in self._field_terms(index):
            for term in terms:
                if term in wanted:
                    via = wanted[term].via
                    found[where].add(f"{term} ({via})" if via else term)
        return [f"{where}: {' '.join(sorted(terms))}" for where, terms in found.items() if terms]

    def _field_terms(self, index: int) -> list[tuple[str, frozenset[str]]]:
        """A table's places and their terms of two characters or more, made once."""
        if index not in self._terms_of:
            self._terms_of[index] = [
                (where, frozenset(t for t in text_terms(text) if len(t) > 1))
                for where, text, _ in _fields(self._tables[index])
            ]
        return self._terms_of[index]
