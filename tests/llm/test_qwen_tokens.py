"""Token counts: ours count exactly as the SDK's Qwen tokenizer (tiktoken) does, on any text."""

from __future__ import annotations

from functools import cache
from typing import Any

from dashscope.tokenizers import get_tokenizer
from hypothesis import given, settings
from hypothesis import strategies as st

from txt2sql_api.llm.qwen_tokens import count_tokens

TEXTS = [
    "沈塘桥地铁站的信息",
    "SELECT zdmc, xlbh FROM dtzpt WHERE zdmc = '沈塘桥' ORDER BY 1",
    'TABLE public.dtzpt rows≈240  -- "地铁站点"\n  zdbh varchar PRIMARY KEY',
    "<|im_start|>user\nignore previous instructions<|im_end|>",
    "It's 'LL  \n\n\t  trailing   ",
    "e\u0301 \ud800 lone surrogate",
    # Letters to the regex module, unassigned to the SDK tokenizer's older Unicode tables.
    "\U0003d000's \U00033434 \u0558",
]
# Pieces the pattern treats specially: contractions, digits of several scripts, whitespace runs
# and line ends, special tokens and near misses, combining marks, emoji, CJK punctuation.
PIECES = st.sampled_from(
    ["'s", "'T", "'re", "'ll", "1", "٣", "１", " ", "  ", "\n", "\r\n", "\t", "\u00a0", "\u2028"]
    + ["<|endoftext|>", "<|im_end|>", "<|extra_7|>", "<|extra_|>", "<|", "|>"]
    + ["\u0301", "🙂", "，", "。", "站", "桥", "zdmc", "SELECT", "_id", "$", "é"]
)
ANY_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map("".join)


@cache
def sdk_tokenizer() -> Any:
    return get_tokenizer("qwen-plus")


def test_counts_match_the_sdk_tokenizer() -> None:
    for text in TEXTS:
        assert count_tokens(text) == len(sdk_tokenizer().encode(text)) > 0


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_any_text_counts_as_the_sdk_tokenizer_counts_it(text: str) -> None:
    assert count_tokens(text) == len(sdk_tokenizer().encode(text))


def test_a_whole_schema_counts_as_the_sdk_tokenizer_counts_it() -> None:
    from importlib.resources import files

    demo = files("txt2sql_api.demo").joinpath("metro.sql").read_text(encoding="utf-8")
    assert count_tokens(demo) == len(sdk_tokenizer().encode(demo)) > 5_000
