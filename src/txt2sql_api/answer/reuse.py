"""Verified questions answered from the store: a question that matches a verified example is
answered with its SQL, without a model call, once that SQL checks against today's schema."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from txt2sql_api.examples.retriever import Scored, question_key
from txt2sql_api.text import CJK

_CHINESE = re.compile(f"[{CJK}]")


@dataclass(frozen=True)
class ReusePolicy:
    enabled: bool = True
    # 1: the same question once case, width, spaces and punctuation are set aside.
    min_score: float = 1.0

    def match(self, question: str, best: list[Scored]) -> Scored | None:
        """The verified example to answer `question` with, if the closest one is close enough."""
        if not self.enabled or not best:
            return None
        asked, stored = question_key(question), question_key(best[0].example.question)
        if asked == stored:
            return best[0]
        if self.min_score < 1 and difflib.SequenceMatcher(None, asked, stored).ratio() >= (
            self.min_score
        ):
            return best[0]
        return None


def reuse_note(question: str, example_id: int) -> str:
    """The short `thinking` that says the answer is a verified one, in the question's language."""
    if _CHINESE.search(question):
        return (
            f"这个问题与已验证的示例 #{example_id} 相同，直接使用它的 SQL（已按当前库结构检查）。\n"
        )
    return (
        f"This question matches verified example #{example_id}: its SQL is used as it is "
        "(checked against today's schema).\n"
    )
