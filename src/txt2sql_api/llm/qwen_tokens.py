"""Prompt size in Qwen tokens: what the SDK's Qwen tokenizer counts, from the same vocabulary
(`qwen.tiktoken` inside the dashscope package, read from disk: no network), in ~10 MB.

Why not the SDK's tokenizer itself: it builds tiktoken, whose Rust core keeps the 151k tokens
three times over (encoder, decoder, sorted list), ~40 MB in every process of the service, a
quarter of its memory at rest. Counting needs only each token's merge rank: here the ranks sit
in an open-addressed table keyed by the tokens' 64-bit hashes, two flat arrays. The merge is
tiktoken's own (the lowest-ranked adjacent pair first, the leftmost among equals), so the
counts are the SDK's; a property test holds them to it.
"""

from __future__ import annotations

import base64
import threading
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path

import regex

_SLOT_BITS = 19  # 524,288 slots for 151,643 tokens: probes stay short
_MASK = (1 << _SLOT_BITS) - 1
NOT_A_TOKEN = (1 << 31) - 1  # above every rank; the largest an array("i") holds
KNOWN_PIECES = 1 << 16


class _Ranks:
    """bytes → merge rank, for the vocabulary's tokens; NOT_A_TOKEN for any other bytes."""

    def __init__(self, vocabulary: bytes) -> None:
        self._hashes = array("q", bytes(8 << _SLOT_BITS))
        self._ranks = array("i", [NOT_A_TOKEN]) * (1 << _SLOT_BITS)
        for line in vocabulary.splitlines():
            if line:
                token, rank = line.split()
                key = hash(base64.b64decode(token))
                slot = key & _MASK
                while self._ranks[slot] != NOT_A_TOKEN:
                    slot = (slot + 1) & _MASK
                self._hashes[slot] = key
                self._ranks[slot] = int(rank)

    def get(self, piece: bytes) -> int:
        key = hash(piece)
        slot = key & _MASK
        hashes, ranks = self._hashes, self._ranks
        while (rank := ranks[slot]) != NOT_A_TOKEN:
            if hashes[slot] == key:
                return rank
            slot = (slot + 1) & _MASK
        return NOT_A_TOKEN


# Code points that the `regex` module's newer Unicode tables call letters or digits but that the
# SDK's tokenizer (tiktoken, older tables) does not: the pattern leaves them out of \p{L} and
# \p{N}, so a text with one counts as the SDK counts it. Found by comparing both on every code
# point that Python's own Unicode database calls unassigned.
_NEWER_LETTERS = (
    "\U00000558\U0000058b-\U0000058c\U0000088f\U00000c5c\U00000cdc\U0000208f"
    "\U0000209d-\U0000209f\U0000a7ce-\U0000a7cf\U0000a7d2\U0000a7d4\U0000a7dd\U0000a7e2"
    "\U0000a7f1\U0000ab6c-\U0000ab6d\U000107bb-\U000107bf\U00010940-\U00010959"
    "\U00010ec5-\U00010ec7\U00010ed9-\U00010eee\U00011b0a\U00011db0-\U00011ddb"
    "\U00011de0-\U00011de9\U00011df1\U0001246f\U00012475-\U0001247f\U00012550-\U00012686"
    "\U00016ea0-\U00016eb8\U00016ebb-\U00016ed3\U00016ff2-\U00016ff6\U000187f8-\U000187ff"
    "\U00018cd6-\U00018cda\U00018d09-\U00018d20\U00018d80-\U00018df2\U00018e00-\U00019191"
    "\U000191a0-\U000191d2\U0001b123-\U0001b128\U0001b168\U0001d6a6\U0001df1f-\U0001df24"
    "\U0001df2b-\U0001df81\U0001df90-\U0001df96\U0001dfcd-\U0001dfff\U0001e6c0-\U0001e6de"
    "\U0001e6e0-\U0001e6e2\U0001e6e4-\U0001e6e5\U0001e6e7-\U0001e6ed\U0001e6f0-\U0001e6f4"
    "\U0001e6fe-\U0001e6ff\U0002b73a-\U0002b73f\U0002b81e\U0002cea2-\U0002cead"
    "\U000323b0-\U00033479\U0003d000-\U0003fc3f"
)


def _with_older_tables(pattern: str) -> str:
    older = f"[{_NEWER_LETTERS}]"
    return "(?V1)" + pattern.replace(r"\p{L}", rf"[\p{{L}}--{older}]").replace(
        r"\p{N}", rf"[\p{{N}}--{older}]"
    )


class QwenCounter:
    """Counts the tokens of a text as tiktoken's `encode(text, allowed_special="all")` would: the
    special tokens one each, the text between them split by the vocabulary's pattern and each
    piece byte-pair merged."""

    def __init__(self, vocabulary: bytes, pattern: str, specials: list[str]) -> None:
        self._ranks = _Ranks(vocabulary)
        self._pieces = regex.compile(_with_older_tables(pattern))
        self._specials = regex.compile("|".join(regex.escape(s) for s in specials))
        self._special_start = _common_prefix(specials)
        # Pieces repeat (words, column names, comment phrases): each is merged once. Full, the
        # cache stops growing rather than evicting; what it holds is the commonest by then.
        self._known: dict[str, int] = {}

    def count(self, text: str) -> int:
        if self._special_start not in text:  # scanning for 208 alternatives costs, this not
            return self._ordinary(text)
        tokens = 0
        start = 0
        # Special tokens in the text count as one each, as the SDK's encode(allowed="all").
        for special in self._specials.finditer(text):
            tokens += self._ordinary(text[start : special.start()]) + 1
            start = special.end()
        return tokens + self._ordinary(text[start:])

    def _ordinary(self, text: str) -> int:
        known = self._known
        tokens = 0
        for piece in self._pieces.findall(text):
            count = known.get(piece)
            if count is None:
                count = self._piece_tokens(piece.encode("utf-8"))
                if len(known) < KNOWN_PIECES:
                    known[piece] = count
            tokens += count
        return tokens

    def _piece_tokens(self, piece: bytes) -> int:
        if len(piece) == 1 or self._ranks.get(piece) != NOT_A_TOKEN:
            return 1
        return len(self._merged(piece)) - 1

    def _merged(self, piece: bytes) -> list[list[int]]:
        """tiktoken's byte-pair merge: [start, rank of the pair starting here] per part."""
        get = self._ranks.get
        parts = [[i, get(piece[i : i + 2])] for i in range(len(piece) - 1)]
        parts += [[len(piece) - 1, NOT_A_TOKEN], [len(piece), NOT_A_TOKEN]]

        def rank_at(i: int) -> int:
            if i + 3 < len(parts):
                return get(piece[parts[i][0] : parts[i + 3][0]])
            return NOT_A_TOKEN

        while True:
            best, at = NOT_A_TOKEN, -1
            for i in range(len(parts) - 1):
                if parts[i][1] < best:
                    best, at = parts[i][1], i
            if best == NOT_A_TOKEN:
                return parts
            if at > 0:
                parts[at - 1][1] = rank_at(at - 1)
            parts[at][1] = rank_at(at)
            del parts[at + 1]


def _common_prefix(texts: list[str]) -> str:
    prefix = texts[0]
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


_lock = threading.Lock()
_counter: QwenCounter | None = None


def _get() -> QwenCounter:
    global _counter
    # Reading the vocabulary takes a quarter of a second: once per process, whichever thread asks.
    with _lock:
        if _counter is None:
            import dashscope
            from dashscope.tokenizers import qwen_tokenizer as sdk

            vocabulary = Path(dashscope.__file__).parent / "resources" / "qwen.tiktoken"
            specials = [token for _, token in sdk.SPECIAL_TOKENS]
            _counter = QwenCounter(vocabulary.read_bytes(), sdk.PAT_STR, specials)
        return _counter


def load_tokenizer() -> None:
    """Reads the vocabulary now (in a worker thread at startup), not on the first question."""
    _get()


def count_tokens(text: str) -> int:
    counter = _get()
    text = unicodedata.normalize("NFC", text)
    try:
        return counter.count(text)
    except UnicodeEncodeError:
        # As tiktoken does: a lone surrogate becomes U+FFFD, and the text is counted again (a
        # piece that failed to encode was never cached).
        return counter.count(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))


@lru_cache(maxsize=4096)
def count_fragment_tokens(text: str) -> int:
    """`count_tokens` of a short fragment that questions repeat (a column reference, the values
    a question names): each is counted once."""
    return count_tokens(text)
