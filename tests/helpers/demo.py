"""The demo database's question, its SQL and the model answers the stand-in gives for them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.sse import collect
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

DEMO_QUESTION = "沈塘桥地铁站的信息"
DEMO_SQL = "SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'"
ANSWER = f"我理解您想查看沈塘桥站的基本信息，需要查询地铁站点表 dtzpt。\n```sql\n{DEMO_SQL}\n```"


def answer(sql: str) -> str:
    return f"用站点表 dtzpt。\n```sql\n{sql}\n```"


PAIR = {"question": "沈塘桥站有几个出口", "sql": "SELECT ckgs FROM dtzpt WHERE zdmc = '沈塘桥'"}


async def prompt_for(client: httpx.AsyncClient, standin: DashScopeStandIn, question: str) -> str:
    standin.push(Script(content=ANSWER))
    await collect(client, json={"question": question})
    body: dict[str, Any] = standin.requests[-1]["body"]
    return "\n".join(m["content"] for m in body["input"]["messages"])
