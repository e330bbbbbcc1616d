"""Prompt size in Qwen tokens, counted with the Qwen tokenizer that ships inside the dashscope
SDK (its `qwen.tiktoken` vocabulary, read from disk: no network)."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_lock = threading.Lock()
_tokenizer: Any = None


def _get() -> Any:
    global _tokenizer
    # Loading the vocabulary takes about a second: once per process, whichever thread asks.
    with _lock:
        if _tokenizer is None:
            from dashscope.tokenizers import get_tokenizer

            _tokenizer = _without_decoding_tables(get_tokenizer("qwen-plus"))
        return _tokenizer


def _without_decoding_tables(tokenizer: Any) -> Any:
    """Counting only encodes, which the Rust core does alone: the Python tables of the 151k
    tokens (kept for decoding) are ~25 MB of the service's memory, so they go."""
    for owner, name in (
        (tokenizer, "decoder"),
        (tokenizer, "_mergeable_ranks"),
        (getattr(tokenizer, "_tokenizer", None), "_mergeable_ranks"),
    ):
        if owner is not None and hasattr(owner, name):
            setattr(owner, name, None)
    return tokenizer


def load_tokenizer() -> None:
    """Loads the vocabulary now (in a worker thread at startup), not on the first question."""
    _get()


def count_tokens(text: str) -> int:
    return len(_get().encode(text))


@lru_cache(maxsize=4096)
def count_fragment_tokens(text: str) -> int:
    """`count_tokens` of a short fragment that questions repeat (a column reference, the values
    a question names): each is counted once."""
    return count_tokens(text)
