"""A user's verdict on an answer: an approved answer, or the SQL a user corrected it to,
becomes a verified example; a bare "down" is recorded only. Repeating a verdict changes
nothing; a later verdict replaces the recorded one (an example it made stays until deleted)."""

from __future__ import annotations

from dataclasses import dataclass

from txt2sql_api.examples.answer_log import RecentAnswers, Verdict
from txt2sql_api.examples.retriever import ExampleRetriever
from txt2sql_api.examples.store import Example, Pair
from txt2sql_api.jsonl import Outcome
from txt2sql_api.sql.outcome import Refused, SqlProblem
from txt2sql_api.sql.verify import SqlVerifier


class UnknownAnswer(Exception):
    """No recent answer has this request id (never given, or expired)."""


@dataclass(frozen=True)
class Teacher:
    """Turns what users say into examples, each checked like the model's SQL."""

    retriever: ExampleRetriever
    verifier: SqlVerifier
    answers: RecentAnswers

    async def checked(self, sql: str) -> None:
        problems = await self.verifier.problems(sql)
        if problems:
            raise Refused(problems)

    async def teach(self, pair: Pair) -> tuple[Example, Outcome]:
        await self.checked(pair.sql)
        return await self.retriever.add(pair)

    async def edit(self, example_id: int, pair: Pair) -> Example | None:
        await self.checked(pair.sql)
        return await self.retriever.update(example_id, pair)

    async def feedback(
        self, request_id: str, verdict: Verdict, corrected_sql: str | None
    ) -> Example | None:
        answer = await self.answers.get(request_id)
        if answer is None:
            raise UnknownAnswer(request_id)
        sql = answer.sql if verdict == "up" else corrected_sql
        if verdict == "up" and sql is None:
            raise Refused([SqlProblem(code="no_sql", message="the answer has no SQL to approve")])
        example = None
        if sql is not None:
            await self.checked(sql)
            example, _ = await self.retriever.add(Pair(answer.question, sql), "feedback")
        await self.answers.set_feedback(
            request_id, verdict, corrected_sql, example.id if example else None
        )
        return example
