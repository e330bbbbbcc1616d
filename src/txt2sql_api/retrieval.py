"""Few-shot retrieval: the stored question→SQL pairs most similar to a new question.

Similarity is BM25 over character n-grams: Chinese has no spaces to split words on, and
character uni- and bi-grams recall "沈塘桥的站点信息" from "沈塘桥地铁站的信息" without a
dictionary. Latin words are kept whole and also cut into trigrams, so "stations" meets "station".
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from dataclasses import dataclass

from txt2sql_api.examples_store import Example, ExamplesStore

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9_]+")


def terms(text: str) -> list[str]:
    text = text.lower()
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(text):
        out.append(word)
        if len(word) > 3:
            out.extend(f"#{word[i : i + 3]}" for i in range(len(word) - 2))
    return out


@dataclass(frozen=True)
class Scored:
    example: Example
    score: float


class Bm25Index:
    """In-memory BM25; adding or replacing one document touches only that document's terms."""

    k1 = 1.5
    b = 0.75

    def __init__(self) -> None:
        self._docs: dict[int, tuple[Example, Counter[str], int]] = {}
        self._df: Counter[str] = Counter()
        self._total_len = 0

    def __len__(self) -> int:
        return len(self._docs)

    def upsert(self, example: Example) -> None:
        self.remove(example.id)
        counts = Counter(terms(example.question))
        length = sum(counts.values())
        self._docs[example.id] = (example, counts, length)
        self._df.update(counts.keys())
        self._total_len += length

    def remove(self, example_id: int) -> None:
        old = self._docs.pop(example_id, None)
        if old is not None:
            _, counts, length = old
            self._df.subtract(counts.keys())
            self._total_len -= length

    def search(self, question: str, k: int) -> list[Scored]:
        if not self._docs or k <= 0:
            return []
        query = set(terms(question))
        n = len(self._docs)
        avg_len = self._total_len / n or 1.0
        idf = {t: math.log(1 + (n - self._df[t] + 0.5) / (self._df[t] + 0.5)) for t in query}
        scored = []
        for example, counts, length in self._docs.values():
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / avg_len)
            for term in query:
                tf = counts.get(term)
                if tf:
                    score += idf[term] * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                scored.append(Scored(example, score))
        scored.sort(key=lambda s: (-s.score, s.example.id))
        return scored[:k]


class ExampleRetriever:
    """Loads the store into the index on first use, then keeps it current on every add."""

    def __init__(self, store: ExamplesStore) -> None:
        self.store = store
        self._index = Bm25Index()
        self._loaded = False
        self._lock = asyncio.Lock()

    async def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        async with self._lock:
            if not self._loaded:
                for example in await self.store.list():
                    self._index.upsert(example)
                self._loaded = True

    async def top_k(self, question: str, k: int) -> list[Scored]:
        await self._ensure_loaded()
        return self._index.search(question, k)

    async def add(self, question: str, sql: str) -> Example:
        example = await self.store.add(question, sql)
        if self._loaded:
            self._index.upsert(example)
        return example
