"""Prompt size in Qwen tokens, counted with the Qwen tokenizer that ships inside the dashscope
SDK (its `qwen.tiktoken` vocabulary, read from disk: no network)."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_tokenizer: Any = None


def _get() -> Any:
    global _tokenizer
    # Loading the vocabulary takes about a second: once per process, whichever thread asks.
    with _lock:
        if _tokenizer is None:
            from dashscope.tokenizers import get_tokenizer

            _tokenizer = get_tokenizer("qwen-plus")
        return _tokenizer


def load_tokenizer() -> None:
    """Loads the vocabulary now (in a worker thread at startup), not on the first question."""
    _get()


def count_tokens(text: str) -> int:
    return len(_get().encode(text))
