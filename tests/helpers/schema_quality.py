"""The schema-pruning quality set: questions and the tables their SQL needs.

The demo's verified examples (their SQL names their tables) and questions about the generated
noisy catalog (tests/helpers/catalog.py), whose tables are named by entity and kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from txt2sql_api.demo.loader import demo_examples
from txt2sql_api.schema.pruning import Pruned
from txt2sql_api.sql.guard import check_sql

# Questions about the generated catalog's tables (main tables and the first six kinds, which
# every catalog of 300 tables or more has).
CATALOG_QUESTIONS: list[tuple[str, set[str]]] = [
    ("各门店的月汇总金额，按门店名称列出", {"mdyhz", "mdxx"}),
    ("充电站每天的日统计数量", {"cdzrtj"}),
    ("停车场台账中状态为停用的记录", {"tcctz"}),
    ("医生的历史记录有多少条", {"ysls"}),
    ("患者明细按城市统计条数", {"hzmx"}),
    ("公交站点的日统计，列出站点编号和数量", {"gjzdrtj"}),
    ("骑手月汇总金额最高的10个骑手", {"qsyhz", "qsxx"}),
    ("优惠券台账里注销的优惠券", {"yhqtz"}),
    ("景区日统计的总数量", {"jqrtj"}),
    ("华东区的供应商有哪些", {"gysxx"}),
    ("航班历史记录中最近的10条", {"hbls"}),
    ("金卡等级的会员信息", {"hyxx"}),
    ("快递网点明细里的金额合计", {"kdwdmx"}),
    ("教师信息和他们的月汇总", {"jsxx", "jsyhz"}),
]


@dataclass(frozen=True)
class Case:
    question: str
    needed: frozenset[str]


def demo_cases() -> list[Case]:
    return [
        Case(q, frozenset(t.rpartition(".")[2] for t in check_sql(sql).tables))
        for q, sql in demo_examples()
    ]


def catalog_cases() -> list[Case]:
    return [Case(q, frozenset(tables)) for q, tables in CATALOG_QUESTIONS]


@dataclass
class Score:
    needed: int = 0
    found: int = 0
    unneeded: int = 0
    questions: int = 0

    def add(self, case: Case, pruned: Pruned) -> None:
        sent = {t.name for t in pruned.tables}
        self.needed += len(case.needed)
        self.found += len(case.needed & sent)
        self.unneeded += len(sent - case.needed)
        self.questions += 1

    @property
    def recall(self) -> float:
        return self.found / self.needed

    @property
    def unneeded_per_question(self) -> float:
        return self.unneeded / self.questions
