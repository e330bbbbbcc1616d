"""`txt2sql-api mcp`: the same tools over stdio, the command started by the official MCP
client SDK as an agent starts it, on the demo database, answering through the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.app import TEST_API_KEY
from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL
from tests.helpers.eventually import eventually
from tests.helpers.mcp_client import error_of, stdio_client, structured
from tests.helpers.processes import postgres_servers
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script


async def test_stdio_lists_and_answers_as_http_does(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=ANSWER, chunk_size=4)
    env = {
        "DATABASE_URL": demo_db,
        "DASHSCOPE_API_KEY": TEST_API_KEY,
        "DASHSCOPE_HTTP_BASE_URL": standin.base_url,
        "TXT2SQL_REUSE_EXAMPLES": "false",
        # Keys configured for HTTP do not stop the local agent that started the command.
        "TXT2SQL_API_KEYS": "k-only-for-http",
    }
    progress: list[str] = []

    async def on_progress(_step: float, _total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with stdio_client(env) as client:
        tools = sorted(tool.name for tool in (await client.list_tools()).tools)
        answer = structured(
            await client.call_tool(
                "ask",
                {"question": DEMO_QUESTION, "execute": True},
                progress_callback=on_progress,
            )
        )
        again = structured(await client.call_tool("ask", {"question": DEMO_QUESTION}))
        blank = error_of(await client.call_tool("ask", {"question": ""}))
        tables = await client.read_resource("schema://tables")

    assert tools == ["add_example", "ask", "describe_schema"]
    assert (answer["sql"], answer["valid"], answer["row_count"]) == (DEMO_SQL, True, 1)
    # Each call its own id (the answer kept for feedback under it), though no HTTP request
    # gave one.
    assert answer["request_id"] not in ("", "-", again["request_id"])
    assert again["conversation_id"] != answer["conversation_id"]
    assert ANSWER.split("\n")[0] in "".join(progress)
    assert blank["code"] == "invalid_input"
    assert '"dtzpt"' in tables.contents[0].text  # type: ignore[union-attr]


@pytest.mark.slow
async def test_without_database_url_stdio_answers_from_the_embedded_demo_and_stops_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "pgdata"
    async with stdio_client({"TXT2SQL_DATA_DIR": str(data_dir)}) as client:
        assert len(postgres_servers([data_dir])) == 1
        # A verified question of the demo: answered from its example, with no model at all.
        answer = structured(await client.call_tool("ask", {"question": DEMO_QUESTION}))
    assert (answer["source"], answer["valid"]) == ("example", True)
    await eventually(lambda: not postgres_servers([data_dir]), "the embedded server stopped")
