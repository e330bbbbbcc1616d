"""Few-shot retrieval: the stored question→SQL pairs most similar to a new question.

DAIL-style: similarity is judged on the *masked* question, where the things that change from
one asking to the next (the station, the month, a number, a quoted name) are replaced by a
placeholder of their kind. "龙翔桥站6月10日的进站量" and "沈塘桥站5月3日的进站量" then read the
same, and a stored question does not win merely because it names the same station. Masked
are: quoted strings, the database's own values found in the text
(`SchemaSnapshot.find_values`: station names, line names, statuses...), dates and numbers.

The masked text is scored with BM25 over character n-grams (Chinese has no spaces to split words
on; character uni- and bi-grams need no dictionary); Latin words are kept whole and cut into
trigrams. The best candidates are then reranked with a little of the unmasked similarity, so
that of two equally shaped examples the one about the same entity comes first, and
near-duplicates (same masked question and same SQL skeleton, or the same SQL) are dropped. A
stored question equal to the new one, or nearly so, always comes first.

The index is incremental: adding, editing or deleting an example touches only that example's
postings; deleted slots are compacted away once they outnumber the live ones.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import math
import re
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from txt2sql_api.background import SingleFlight
from txt2sql_api.db.meta_schema import TOMBSTONE_DAYS
from txt2sql_api.examples.store import (
    Example,
    ExampleSource,
    ExamplesStore,
    Pair,
)
from txt2sql_api.jsonl import Outcome
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.value_index import ValueMatch, indexable, normalize
from txt2sql_api.text import cjk_grams, fold

logger = logging.getLogger(__name__)

# Placeholders from Unicode's private use area: one character each, never in a real question.
VALUE, NUMBER, DATE, QUOTED = "\ue000", "\ue001", "\ue002", "\ue003"

_WORD = re.compile(r"[a-z0-9_]+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|「[^」]*」|『[^』]*』|《[^》]*》")
_CN = "[零〇一二两三四五六七八九十百千万]"
_DAY = rf"(?:\d{{1,2}}|{_CN}{{1,3}})"
_DATE = re.compile(
    r"\d{4}\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,2})?"  # 2024-06-01, 2024/6
    rf"|\d{{4}}\s*年(?:\s*{_DAY}\s*月份?(?:\s*{_DAY}\s*[日号])?)?"  # 2024年, 2024年6月1日
    rf"|{_DAY}\s*月份?(?:\s*{_DAY}\s*[日号])?"  # 6月, 六月份, 6月10日
    rf"|{_DAY}\s*[日号](?!线)"  # 10日, 3号 (not 3号线)
)
_NUMBER = re.compile(rf"(?<![a-z0-9_])\d+(?:\.\d+)?|(?<=[前第]){_CN}+|{_CN}+(?=[个条天周名位])")
_PUNCTUATION = re.compile(r"[^\w\ue000-\ue003]+|_+")
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")

# Candidates reranked per question, at least; and how much the unmasked text counts then.
CANDIDATES = 32
RAW_WEIGHT = 0.25
# Two questions this alike (difflib ratio, punctuation and case aside) are "the same question".
NEAR_EXACT = 0.9
# Above any reranked score (at most 1 + RAW_WEIGHT): the same question's score.
SAME_QUESTION = 2.0


def question_key(text: str) -> str:
    """A question without case, width, spaces and punctuation: equal keys, same question."""
    return _PUNCTUATION.sub("", fold(text))


def terms(text: str) -> list[str]:
    text = text.lower()
    # The placeholders read as characters of the text they replace.
    out = list(cjk_grams(text, extra="\ue000-\ue003"))
    for word in _WORD.findall(text):
        out.append(word)
        if len(word) > 3:
            out.extend(f"#{word[i : i + 3]}" for i in range(len(word) - 2))
    return out


def skeleton(sql: str) -> str:
    """The SQL with its literals replaced and its spacing and case normalized."""
    return " ".join(_SQL_LITERAL.sub("?", sql).lower().split())


def values_fingerprint(snapshot: SchemaSnapshot | None) -> frozenset[str]:
    """The values masking can find: a new snapshot with the same ones needs no new index."""
    if snapshot is None:
        return frozenset()
    return frozenset(
        normalize(value)
        for table in snapshot.tables
        for column in table.columns
        for value in column.known_values
        if indexable(value)
    )


class Masker:
    """Replaces what varies between askings of one question by a placeholder of its kind."""

    def __init__(self, values: SchemaSnapshot | None = None) -> None:
        self._values = values
        self.fingerprint = values_fingerprint(values)

    def __call__(self, question: str) -> str:
        text = fold(question)
        spans: list[tuple[int, int, str]] = []
        found: list[tuple[Iterable[tuple[int, int]], str]] = [
            (((m.start(), m.end()) for m in _QUOTED.finditer(text)), QUOTED),
            (((m.start, m.end) for m in self._found_values(text)), VALUE),
            (((m.start(), m.end()) for m in _DATE.finditer(text)), DATE),
            (((m.start(), m.end()) for m in _NUMBER.finditer(text)), NUMBER),
        ]
        for matches, placeholder in found:
            for start, end in matches:
                if all(end <= s or start >= e for s, e, _ in spans):
                    spans.append((start, end, placeholder))
        out, at = [], 0
        for start, end, placeholder in sorted(spans):
            out += [text[at:start], placeholder]
            at = end
        out.append(text[at:])
        return "".join(out)

    def _found_values(self, text: str) -> list[ValueMatch]:
        return self._values.find_values(text) if self._values is not None else []


class Shot(NamedTuple):
    """What the prompt needs of an example."""

    id: int
    question: str
    sql: str


@dataclass(frozen=True)
class Scored:
    example: Shot
    score: float


class _Doc(NamedTuple):
    shot: Shot
    masked: str
    skeleton: str
    # question_key(shot.question): compared with every question asked.
    key: str


def _postings() -> tuple[array[int], array[float]]:
    return array("i"), array("f")


class ExampleIndex:
    """BM25 over the masked questions, as postings in flat arrays scored with numpy: a hundred
    thousand examples fit in tens of megabytes and a question is scored in milliseconds."""

    k1 = 1.2
    b = 0.75

    def __init__(self, masker: Masker | None = None) -> None:
        self.masker = masker or Masker()
        self._slot_of: dict[int, int] = {}
        self._docs: list[_Doc | None] = []
        self._lengths: array[float] = array("f")
        self._alive: array[float] = array("f")
        self._postings: dict[str, tuple[array[int], array[float]]] = {}
        self._df: Counter[str] = Counter()
        self._total_length = 0
        self._by_key: dict[str, int] = {}
        self._weights_of: tuple[
            tuple[int, int, int], dict[str, tuple[np.ndarray, np.ndarray] | None]
        ] = ((-1, -1, -1), {})

    def __len__(self) -> int:
        return len(self._slot_of)

    def shots(self) -> list[Shot]:
        return [doc.shot for doc in self._docs if doc is not None]

    def upsert(self, shot: Shot) -> None:
        self.remove(shot.id)
        masked = self.masker(shot.question)
        counts = Counter(terms(masked))
        slot = len(self._docs)
        key = question_key(shot.question)
        self._docs.append(_Doc(shot, masked, skeleton(shot.sql), key))
        length = sum(counts.values())
        self._lengths.append(length)
        self._alive.append(1.0)
        for term, tf in counts.items():
            slots, tfs = self._postings.get(term) or self._postings.setdefault(term, _postings())
            slots.append(slot)
            tfs.append(tf)
        self._df.update(counts.keys())
        self._total_length += length
        self._slot_of[shot.id] = slot
        self._by_key[key] = shot.id

    def remove(self, example_id: int) -> None:
        slot = self._slot_of.pop(example_id, None)
        if slot is None:
            return
        doc = self._docs[slot]
        assert doc is not None  # a live slot always holds its document
        self._docs[slot] = None
        self._alive[slot] = 0.0
        self._df.subtract(set(terms(doc.masked)))
        self._total_length -= int(self._lengths[slot])
        if self._by_key.get(doc.key) == example_id:
            del self._by_key[doc.key]
        if len(self._docs) - len(self._slot_of) > max(1024, len(self._slot_of)):
            self._compact()

    def _compact(self) -> None:
        fresh = ExampleIndex(self.masker)
        for shot in self.shots():
            fresh.upsert(shot)
        self.__dict__.update(fresh.__dict__)

    def search(self, question: str, k: int) -> list[Scored]:
        if not self._slot_of or k <= 0:
            return []
        masked = self.masker(question)
        scores = self._bm25(set(terms(masked)))
        count = max(CANDIDATES, 4 * k)
        if len(scores) > count:
            top = np.argpartition(-scores, count - 1)[:count]
        else:
            top = np.arange(len(scores))
        top = top[scores[top] > 0]
        best = float(scores[top].max()) if len(top) else 1.0
        key = question_key(question)
        grams = _bigrams(key)
        ranked: list[Scored] = []
        for slot in top.tolist():
            doc = self._docs[slot]
            assert doc is not None  # dead slots score 0
            similarity = _dice(grams, _bigrams(doc.key))
            ranked.append(Scored(doc.shot, float(scores[slot]) / best + RAW_WEIGHT * similarity))
        ranked.sort(key=lambda s: (-s.score, s.example.id))
        return self._distinct(self._same_first(key, ranked), k)

    def _weights(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A term's postings and their BM25 weights. The weights depend only on the index, not
        on the question, so they are computed once per term until the index changes."""
        state = (len(self._docs), len(self._slot_of), self._total_length)
        if self._weights_of[0] != state:
            self._weights_of = state, {}
        cached = self._weights_of[1]
        if term not in cached:
            cached[term] = self._term_weights(term)
        return cached[term]

    def _term_weights(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        n = len(self._slot_of)
        df = self._df.get(term, 0)
        if df <= 0:
            return None
        lengths = np.frombuffer(self._lengths, dtype=np.float32)
        slots_array, tfs_array = self._postings[term]
        # A copy: a view kept in the cache would stop the postings array from growing.
        slots = np.array(slots_array, dtype=np.intc)
        tf = np.frombuffer(tfs_array, dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * lengths[slots] / (self._total_length / n or 1.0))
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return slots, idf * tf * (self.k1 + 1) / (tf + norm)

    def _bm25(self, query: set[str]) -> np.ndarray:
        found = [w for w in map(self._weights, query) if w is not None]
        if not found:
            return np.zeros(len(self._docs))
        slots = np.concatenate([slots for slots, _ in found])
        weights = np.concatenate([weights for _, weights in found])
        scores = np.bincount(slots, weights, minlength=len(self._docs))
        scores *= np.frombuffer(self._alive, dtype=np.float32)
        return scores

    def _doc(self, example_id: int) -> _Doc:
        doc = self._docs[self._slot_of[example_id]]
        assert doc is not None  # a live id's slot always holds its document
        return doc

    def _same_first(self, key: str, ranked: list[Scored]) -> list[Scored]:
        """The stored question equal to this one, or else the first one nearly equal, first."""
        same = self._by_key.get(key)
        if same is not None:
            first = Scored(self._doc(same).shot, SAME_QUESTION)
        else:
            near = (s for s in ranked if _nearly_equal(key, self._doc(s.example.id).key))
            found = next(near, None)
            if found is None:
                return ranked
            first = Scored(found.example, SAME_QUESTION)
        return [first, *(s for s in ranked if s.example.id != first.example.id)]

    def _distinct(self, ranked: list[Scored], k: int) -> list[Scored]:
        """The first k, leaving out an example that teaches what one before it taught."""
        chosen: list[Scored] = []
        seen: set[str] = set()
        for scored in ranked:
            doc = self._doc(scored.example.id)
            shape = f"{question_key(doc.masked)}\n{doc.skeleton}"
            sql = " ".join(doc.shot.sql.lower().split())
            if shape in seen or sql in seen:
                continue
            seen.update((shape, sql))
            chosen.append(scored)
            if len(chosen) == k:
                break
        return chosen


def _nearly_equal(a: str, b: str) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= NEAR_EXACT
        and matcher.quick_ratio() >= NEAR_EXACT
        and matcher.ratio() >= NEAR_EXACT
    )


class _Bigrams(NamedTuple):
    counts: dict[str, int]
    total: int


# Cached: the same stored questions come up as candidates again and again.
@lru_cache(maxsize=8192)
def _bigrams(text: str) -> _Bigrams:
    counts = Counter(text[i : i + 2] for i in range(len(text) - 1))
    return _Bigrams(counts, max(len(text) - 1, 0))


def _dice(a: _Bigrams, b: _Bigrams) -> float:
    """Character-bigram overlap of two strings' bigrams (from `_bigrams`, never changed), 0 to 1."""
    if len(a.counts) > len(b.counts):
        a, b = b, a
    other = b.counts
    common = sum(min(n, other[g]) for g, n in a.counts.items() if g in other)
    total = a.total + b.total
    return 2 * common / total if total else 0.0


def shot(example: Example) -> Shot:
    return Shot(example.id, example.question, example.sql)


def build_index(shots: Iterable[Shot], masker: Masker) -> ExampleIndex:
    index = ExampleIndex(masker)
    for item in shots:
        index.upsert(item)
    return index


# An index that has not heard from the store for this long may have missed deletions whose
# tombstones are gone: it starts over from an empty index.
STALE_SECONDS = TOMBSTONE_DAYS * 86_400 * 0.9
# More changes than this at once are indexed in a fresh index off the event loop.
IN_PLACE_CHANGES = 256


class ExampleRetriever:
    """The store's examples, indexed in memory and kept current: `sync` reads what changed in
    the store since the last read (an instance's own writes, and other instances' ones when
    `StoreFollower` wakes it) and applies it to the index."""

    def __init__(
        self,
        store: ExamplesStore,
        values: Callable[[], SchemaSnapshot | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        on_rebuilt: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self._values = values
        self._on_rebuilt = on_rebuilt
        self._clock = clock
        self._index = ExampleIndex()
        self._version = 0
        self._synced_at: float | None = None
        self._lock = asyncio.Lock()
        self._seen_values: SchemaSnapshot | None = None
        self._remasking: SingleFlight[None] = SingleFlight("re-masking the examples")

    @property
    def version(self) -> int:
        return self._version

    def __len__(self) -> int:
        return len(self._index)

    async def sync(self) -> None:
        async with self._lock:
            fresh = self._synced_at is None or self._clock() - self._synced_at > STALE_SECONDS
            since = 0 if fresh else self._version
            changes = await self.store.changes_since(since)
            masker = Masker(self._values()) if fresh else self._index.masker
            if fresh or len(changes.upserted) > IN_PLACE_CHANGES:
                kept = [] if fresh else self._index.shots()
                gone = {*changes.deleted, *(e.id for e in changes.upserted)}
                shots = [s for s in kept if s.id not in gone] + list(map(shot, changes.upserted))
                self._rebuilt(await asyncio.to_thread(build_index, shots, masker))
            else:
                for example in changes.upserted:
                    self._index.upsert(shot(example))
                for example_id in changes.deleted:
                    self._index.remove(example_id)
            self._version, self._synced_at = changes.version, self._clock()

    async def top_k(self, question: str, k: int) -> list[Scored]:
        if self._synced_at is None:
            await self.sync()
        self._remask_if_values_changed()
        return self._index.search(question, k)

    def _remask_if_values_changed(self) -> None:
        """A schema whose values changed re-masks every example, in the background; the old
        index serves meanwhile."""
        values = self._values()
        if values is self._seen_values or self._remasking.running:
            return
        self._seen_values = values
        masker = Masker(values)
        if masker.fingerprint != self._index.masker.fingerprint:
            self._remasking.start(lambda: self._remask(masker))

    async def _remask(self, masker: Masker) -> None:
        async with self._lock:
            shots = self._index.shots()
            self._rebuilt(await asyncio.to_thread(build_index, shots, masker))

    def _rebuilt(self, index: ExampleIndex) -> None:
        self._index = index
        if self._on_rebuilt is not None:
            self._on_rebuilt()

    async def add(self, pair: Pair, source: ExampleSource = "api") -> tuple[Example, Outcome]:
        stored = await self.store.add(pair, source)
        await self.sync()
        return stored

    async def update(self, example_id: int, pair: Pair) -> Example | None:
        example = await self.store.update(example_id, pair)
        await self.sync()
        return example

    async def delete(self, example_id: int) -> Example | None:
        example = await self.store.delete(example_id)
        await self.sync()
        return example

    async def close(self) -> None:
        await self._remasking.close()
