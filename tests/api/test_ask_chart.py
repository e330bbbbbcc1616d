"""/v1/ask with execution: the `chart` event after the last rows batch, drawn from every batch."""

from __future__ import annotations

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import answer
from tests.helpers.sse import collect, names, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

STATIONS_PER_LINE = "SELECT xlbh, count(*) AS zds FROM dtzpt GROUP BY xlbh ORDER BY zds DESC, xlbh"
RIDERS_PER_DAY = "SELECT tjrq, sum(jzl) AS jzl FROM zdkl_rtj GROUP BY tjrq ORDER BY tjrq DESC"


async def test_a_ranking_is_a_bar_chart_of_every_batch_in_the_sqls_order(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(STATIONS_PER_LINE)))
    async with make_client(settings_for(demo_db, rows_batch=2)) as client:
        events = await collect(client, json={"question": "各线路站点数排名", "execute": True})
    order = names(events)
    last_rows = len(order) - 1 - order[::-1].index("rows")
    assert order[last_rows + 1 :] == ["chart", "done"]
    rows = [row for batch in of(events, "rows") for row in batch["rows"]]
    assert len(of(events, "rows")) > 1  # the chart is drawn from all the batches
    (chart,) = of(events, "chart")
    assert (chart["mark"], chart["x"], chart["y"], chart["attempt"]) == ("bar", "xlbh", ["zds"], 1)
    assert chart["spec"]["xAxis"]["data"] == [row[0] for row in rows]
    assert chart["spec"]["series"][0]["data"] == [row[1] for row in rows]


async def test_a_time_series_is_a_line_in_time_order(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(RIDERS_PER_DAY)))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": "每天进站客流", "execute": True})
    (chart,) = of(events, "chart")
    assert chart["mark"] == "line" and chart["x"] == "tjrq"
    days = [point[0] for point in chart["spec"]["series"][0]["data"]]
    assert len(days) > 1 and days == sorted(days)


async def test_charts_switched_off_send_none(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(STATIONS_PER_LINE)))
    async with make_client(settings_for(demo_db, charts=False)) as client:
        events = await collect(client, json={"question": "各线路站点数排名", "execute": True})
    assert "rows" in names(events) and "chart" not in names(events)


async def test_a_result_no_rule_fits_has_no_chart(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer("SELECT zdbh, zdmc FROM dtzpt ORDER BY zdbh")))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": "所有站点", "execute": True})
    assert "rows" in names(events) and "chart" not in names(events)


async def test_a_query_that_fails_midway_has_no_chart(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    # The division by zero comes at the third row, after the first batch went out.
    failing = "SELECT zdbh, 10 / (3 - row_number() OVER (ORDER BY zdbh))::int AS v FROM dtzpt"
    standin.push(Script(content=answer(failing)))
    async with make_client(settings_for(demo_db, rows_batch=1)) as client:
        events = await collect(client, json={"question": "q", "execute": True})
    assert "rows" in names(events) and "error" in names(events)
    assert "chart" not in names(events)
