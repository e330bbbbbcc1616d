"""The page at `/` in a real headless Chromium (Debian's, driven by Selenium through Debian's
chromium-driver, the same version by construction), against a real `serve` process whose model
is the scripted stand-in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.demo.loader import demo_examples

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
QUESTION = "2号线有哪些站点，按顺序列出"
SQL = "SELECT zdxh, zdmc, xzq FROM dtzpt WHERE xlbh = 'L02' ORDER BY zdxh"
REASONING = (
    "用户想按顺序列出2号线的站点。站点表 dtzpt 有线路编号 xlbh 和站序号 zdxh，按 zdxh 排序即可。"
)
ANSWER = f"查询2号线（L02）的站点。\n```sql\n{SQL}\n```\n"

# Runs in the page before its own script: keeps every EventSource the page opens, and a
# timeline of what the reasoning and SQL boxes held after each change of the page.
INSTRUMENT = """
window.__sources = [];
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(...args) { super(...args); window.__sources.push(this); }
};
window.__timeline = [];
document.addEventListener("DOMContentLoaded", () => {
  const record = () => window.__timeline.push({
    t: performance.now(),
    thinking: document.getElementById("thinking").textContent.length,
    sql: document.getElementById("sql").textContent.length,
  });
  new MutationObserver(record).observe(document.querySelector("main"),
    {subtree: true, childList: true, characterData: true});
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests run as root
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: WebDriver, demo_server: str, standin: DashScopeStandIn) -> WebDriver:
    browser.get(f"{demo_server}/")
    wait(browser, lambda b: b.find_element(By.ID, "samples-box").is_displayed())
    return browser


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition)


def text(driver: WebDriver, element_id: str) -> str:
    value: str = driver.execute_script(
        f"return document.getElementById('{element_id}').textContent"
    )
    return value


def ask(driver: WebDriver, question: str, *, execute: bool = True) -> None:
    box = driver.find_element(By.ID, "question")
    box.clear()
    box.send_keys(question)
    if driver.find_element(By.ID, "execute").is_selected() != execute:
        driver.find_element(By.ID, "execute").click()
    driver.find_element(By.ID, "submit").click()


def all_sources_closed(driver: WebDriver) -> bool:
    closed: bool = driver.execute_script(
        "return window.__sources.length > 0 && window.__sources.every(s => s.readyState === 2)"
    )
    return closed


async def demo_rows(url: str) -> list[list[str]]:
    conn = await asyncpg.connect(url)
    try:
        return [[str(v) for v in row.values()] for row in await conn.fetch(SQL)]
    finally:
        await conn.close()


def test_thinking_streams_in_before_the_sql_then_the_rows_show(
    page: WebDriver, standin: DashScopeStandIn, demo_db: str
) -> None:
    standin.push(Script(reasoning=REASONING, content=ANSWER, chunk_size=4, gap=0.08))
    ask(page, QUESTION)
    wait(page, lambda d: text(d, "status") == "Done.")

    timeline: list[dict[str, float]] = page.execute_script("return window.__timeline")
    first_sql = next(i for i, s in enumerate(timeline) if s["sql"] > 0)
    before = [s for s in timeline[:first_sql] if s["thinking"] > 0]
    lengths = [s["thinking"] for s in before]
    assert lengths == sorted(lengths)
    assert len(set(lengths)) >= 10, "the reasoning should arrive in many pieces"
    # The stand-in spaces its chunks 80 ms apart: the page showed them as they came.
    assert before[-1]["t"] - before[0]["t"] > 500
    assert text(page, "thinking").startswith(REASONING)

    assert text(page, "sql") == SQL
    keywords = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#sql .tok-kw")]
    assert keywords[:3] == ["SELECT", "FROM", "WHERE"]
    assert page.find_element(By.CSS_SELECTOR, "#sql .tok-str").text == "'L02'"
    assert text(page, "sql-verdict") == "checked"

    expected = asyncio.run(demo_rows(demo_db))
    headers = [th.text for th in page.find_elements(By.CSS_SELECTOR, "#rows thead th")]
    assert headers == ["zdxh", "zdmc", "xzq"]
    shown = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in page.find_elements(By.CSS_SELECTOR, "#rows tbody tr")
    ]
    assert shown == expected and len(expected) > 5
    assert text(page, "row-count") == f"{len(expected)} rows"
    assert "tokens in" in text(page, "usage")

    # After `done` the page closed its EventSource, so the browser never asks again.
    assert all_sources_closed(page)
    assert page.find_element(By.ID, "stop").get_attribute("disabled") is not None
    ARTIFACTS.mkdir(exist_ok=True)
    page.save_screenshot(str(ARTIFACTS / "page.png"))
    assert standin.started == 1


def test_stop_closes_the_stream_and_the_upstream_call_ends(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    standin.push(Script(reasoning=REASONING * 10, content=ANSWER, chunk_size=2, gap=0.05))
    ask(page, QUESTION, execute=False)
    wait(page, lambda d: len(text(d, "thinking")) > 20)
    page.find_element(By.ID, "stop").click()

    standin.wait_for(lambda s: s.aborted == 1, timeout=10)
    assert standin.completed == 0
    assert all_sources_closed(page)
    assert text(page, "status") == "Stopped."
    shown = text(page, "thinking")
    time.sleep(0.3)  # several of the stand-in's chunk gaps: nothing more may arrive
    assert text(page, "thinking") == shown
    assert text(page, "sql") == ""


def test_model_and_database_text_is_shown_as_text_never_as_markup(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    markup = '<img src=x onerror="window.__xss=1">'
    sql = f"SELECT '{markup}' AS \"<b>column</b>\""
    standin.push(Script(reasoning=markup, content=f"{markup}\n```sql\n{sql}\n```"))
    ask(page, QUESTION)
    wait(page, lambda d: text(d, "status") == "Done.")

    assert page.execute_script("return document.querySelectorAll('main img, main b').length") == 0
    assert page.execute_script("return window.__xss") is None
    assert text(page, "thinking").startswith(markup)
    assert text(page, "sql") == sql
    assert page.find_element(By.CSS_SELECTOR, "#rows thead th").text == "<b>column</b>"
    assert page.find_element(By.CSS_SELECTOR, "#rows tbody td").text == markup


def test_errors_are_shown_plainly(page: WebDriver, standin: DashScopeStandIn) -> None:
    standin.push(Script(status=400, error_message="Range of input length should be [1, 30720]"))
    ask(page, QUESTION)
    wait(page, lambda d: text(d, "status") == "Done, with errors.")
    assert "Range of input length" in text(page, "errors")
    assert "upstream_bad_request" in text(page, "errors")
    assert all_sources_closed(page)


def test_a_refused_question_says_why(page: WebDriver, standin: DashScopeStandIn) -> None:
    ask(page, "问" * 2001)
    wait(page, lambda d: text(d, "errors") != "")
    assert text(page, "errors") == "422: the question is longer than 2000 characters"
    assert text(page, "status") == "Failed."
    assert all_sources_closed(page)
    assert standin.started == 0


def test_sample_questions_fill_the_box(page: WebDriver) -> None:
    samples = page.find_elements(By.CSS_SELECTOR, "#samples button")
    demo_questions = [question for question, _ in demo_examples()]
    assert [s.text for s in samples] == demo_questions[: len(samples)]
    samples[1].click()
    assert page.find_element(By.ID, "question").get_property("value") == demo_questions[1]


def test_copy_puts_the_sql_on_the_clipboard(page: WebDriver, standin: DashScopeStandIn) -> None:
    page.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    standin.push(Script(content=ANSWER))
    ask(page, QUESTION, execute=False)
    wait(page, lambda d: text(d, "status") == "Done.")
    page.find_element(By.ID, "copy").click()
    wait(page, lambda d: text(d, "copy") == "Copied")
    copied = page.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0](String(e)))"
    )
    assert copied == SQL


def test_the_page_forbids_foreign_scripts(demo_server: str) -> None:
    response = httpx.get(f"{demo_server}/", timeout=10)
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    script = httpx.get(f"{demo_server}/static/app.js", timeout=10)
    assert script.status_code == 200 and "EventSource" in script.text
