"""The page at `/` in a real headless Chromium (Debian's, driven by Selenium through Debian's
chromium-driver, the same version by construction), against a real `serve` process whose model
is the scripted stand-in."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.app import demo_server_env
from tests.helpers.serve_process import serve
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.demo.loader import demo_examples

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
QUESTION = "2号线有哪些站点，按顺序列出"
SQL = "SELECT zdxh, zdmc, xzq FROM dtzpt WHERE xlbh = 'L02' ORDER BY zdxh"
REASONING = (
    "用户想按顺序列出2号线的站点。站点表 dtzpt 有线路编号 xlbh 和站序号 zdxh，按 zdxh 排序即可。"
)

ANSWER = f"查询2号线（L02）的站点。\n```sql\n{SQL}\n```\n"
API_KEY = f"page-key-{secrets.token_hex(8)}"
KEY_ITEM = "txt2sql.apiKey"

# Runs in the page before its own script: keeps every EventSource the page opens, and a
# timeline of what the reasoning and SQL boxes held after each change of the page.
INSTRUMENT = """
window.__sources = [];
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(...args) { super(...args); window.__sources.push(this); }
};
// Downloads are recorded instead of saved: each link clicked with its name, and the Blob
// behind each object URL, so a test can read what would have been written.
window.__downloads = [];
window.__blobs = {};
const nativeObjectUrl = URL.createObjectURL;
URL.createObjectURL = (blob) => {
  const url = nativeObjectUrl(blob);
  window.__blobs[url] = blob;
  return url;
};
const nativeClick = HTMLAnchorElement.prototype.click;
HTMLAnchorElement.prototype.click = function () {
  if (this.download) window.__downloads.push({ name: this.download, href: this.href });
  else nativeClick.call(this);
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
    # Every request the browser sends (URL, method, headers) is read from Chrome's network log.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
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
def page(
    browser: WebDriver,
    demo_server: str,
    standin: DashScopeStandIn,  # noqa: ARG001 (the stand-in, reset for this test)
) -> WebDriver:
    sent_requests(browser)  # from here on, only this test's requests
    browser.get(f"{demo_server}/")
    wait(browser, lambda b: b.find_element(By.ID, "samples-box").is_displayed())
    return browser


@pytest.fixture(scope="module")
def keyed_server(demo_db: str, standin_server: DashScopeStandIn) -> Iterator[str]:
    """The demo server with an API key required."""
    with serve(demo_server_env(demo_db, standin_server) | {"TXT2SQL_API_KEYS": API_KEY}) as url:
        yield url


@pytest.fixture
def keyed_page(
    browser: WebDriver,
    keyed_server: str,
    standin: DashScopeStandIn,  # noqa: ARG001 (the stand-in, reset for this test)
) -> WebDriver:
    sent_requests(browser)
    browser.get(f"{keyed_server}/")
    # sessionStorage outlives a reload in the same tab: start each test without a key.
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    wait(browser, lambda b: b.find_element(By.ID, "key-form").is_displayed())
    return browser


def sent_requests(driver: WebDriver) -> list[dict[str, Any]]:
    """The requests the browser sent since the last call: `url`, `method`, `headers`, `type`."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            sent.append({**params["request"], "type": params.get("type")})
    return sent


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition)


def text(driver: WebDriver, element_id: str) -> str:
    value: str = driver.execute_script(
        f"return document.getElementById('{element_id}').textContent"
    )
    return value


def ask(driver: WebDriver, question: str, *, execute: bool = True, summarize: bool = False) -> None:
    box = driver.find_element(By.ID, "question")
    box.clear()
    box.send_keys(question)
    for box_id, wanted in (("execute", execute), ("summarize", summarize)):
        if driver.find_element(By.ID, box_id).is_selected() != wanted:
            driver.find_element(By.ID, box_id).click()
    driver.find_element(By.ID, "submit").click()


def all_sources_closed(driver: WebDriver) -> bool:
    closed: bool = driver.execute_script(
        "return window.__sources.length > 0 && window.__sources.every(s => s.readyState === 2)"
    )
    return closed


def enter_key(driver: WebDriver, key: str) -> None:
    box = driver.find_element(By.ID, "key")
    box.clear()
    box.send_keys(key)
    driver.find_element(By.ID, "use-key").click()


def use_the_right_key(driver: WebDriver) -> None:
    enter_key(driver, API_KEY)
    wait(driver, lambda d: shown(d, "samples-box"))


def shown(driver: WebDriver, element_id: str) -> bool:
    displayed: bool = driver.find_element(By.ID, element_id).is_displayed()
    return displayed


def stored_key(driver: WebDriver) -> str | None:
    key: str | None = driver.execute_script(f"return sessionStorage.getItem('{KEY_ITEM}')")
    return key


def sources_opened(driver: WebDriver) -> int:
    count: int = driver.execute_script("return window.__sources.length")
    return count


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
    if os.environ.get("UPDATE_DOCS_IMAGES"):  # the README's picture of the page
        page.execute_script("window.scrollTo(0, 0)")
        page.save_screenshot(str(DOCS_IMAGES / "page.png"))
    # What the model was shown, folded under the answer until opened.
    box = page.find_element(By.ID, "context-box")
    assert box.is_displayed() and box.get_attribute("open") is None
    box.find_element(By.TAG_NAME, "summary").click()
    items = [li.text for li in page.find_elements(By.CSS_SELECTOR, "#context li")]
    assert items[0].startswith("attempt 1: ") and any("public.dtzpt" in i for i in items)

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


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_render_with_nothing_but_this_service(
    browser: WebDriver, demo_server: str, path: str
) -> None:
    sent_requests(browser)
    browser.get(f"{demo_server}{path}")
    # Rendered from /openapi.json: the paths appear only once the page's own script has run.
    wait(browser, lambda b: "/v1/ask" in b.page_source and "/v1/examples" in b.page_source)
    sent = [r for r in sent_requests(browser) if not r["url"].startswith("data:")]
    # A blob: URL is made by the page's own script (ReDoc's web worker).
    hosts = {urlsplit(r["url"].removeprefix("blob:")).netloc for r in sent}
    assert hosts == {urlsplit(demo_server).netloc}
    assert any(r["url"].endswith("/openapi.json") for r in sent)


def test_in_open_mode_there_is_no_key_field_and_no_token(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    assert not shown(page, "key-form") and not shown(page, "key-status")
    standin.push(Script(content=ANSWER))
    ask(page, QUESTION, execute=False)
    wait(page, lambda d: text(d, "status") == "Done.")

    sent = sent_requests(page)
    assert not any(r["url"].endswith("/v1/tokens") for r in sent)
    assert not any("Authorization" in r["headers"] for r in sent)
    (stream,) = [r for r in sent if r["type"] == "EventSource"]
    assert set(parse_qs(urlsplit(stream["url"]).query)) == {"question"}


def test_with_keys_the_page_asks_for_one_and_refuses_a_wrong_one(
    keyed_page: WebDriver, standin: DashScopeStandIn
) -> None:
    assert not shown(keyed_page, "samples-box") and not shown(keyed_page, "key-error")
    ask(keyed_page, QUESTION)
    assert text(keyed_page, "status") == "Enter the API key first."

    enter_key(keyed_page, f"not-{API_KEY}")
    wait(keyed_page, lambda d: shown(d, "key-error"))
    assert text(keyed_page, "key-error") == (
        "The API key was refused (401: the API key is not valid). Enter it again."
    )
    assert shown(keyed_page, "key-form") and not shown(keyed_page, "samples-box")
    assert stored_key(keyed_page) is None
    assert keyed_page.switch_to.active_element.get_attribute("id") == "key"

    use_the_right_key(keyed_page)
    assert not shown(keyed_page, "key-form") and shown(keyed_page, "key-status")
    assert sources_opened(keyed_page) == 0
    assert standin.started == 0


def test_with_the_right_key_a_question_is_answered_and_the_key_stays_out_of_urls(
    keyed_page: WebDriver, standin: DashScopeStandIn
) -> None:
    use_the_right_key(keyed_page)
    standin.push(Script(reasoning=REASONING, content=ANSWER, chunk_size=8, gap=0.02))
    ask(keyed_page, QUESTION)
    wait(keyed_page, lambda d: text(d, "status") == "Done.")

    timeline: list[dict[str, float]] = keyed_page.execute_script("return window.__timeline")
    first_thinking = next(i for i, s in enumerate(timeline) if s["thinking"] > 0)
    first_sql = next(i for i, s in enumerate(timeline) if s["sql"] > 0)
    assert first_thinking < first_sql
    assert text(keyed_page, "thinking").startswith(REASONING)
    assert text(keyed_page, "sql") == SQL
    assert len(keyed_page.find_elements(By.CSS_SELECTOR, "#rows tbody tr")) > 5
    assert all_sources_closed(keyed_page)

    sent = sent_requests(keyed_page)
    assert sent and not any(API_KEY in r["url"] for r in sent)
    bearer = f"Bearer {API_KEY}"
    (token_call,) = [r for r in sent if r["url"].endswith("/v1/tokens")]
    assert token_call["method"] == "POST" and token_call["headers"]["Authorization"] == bearer
    samples = [r for r in sent if "/v1/examples" in r["url"]]
    assert samples[-1]["headers"]["Authorization"] == bearer
    (stream,) = [r for r in sent if r["type"] == "EventSource"]
    assert "Authorization" not in stream["headers"]
    query = parse_qs(urlsplit(stream["url"]).query)
    assert set(query) == {"question", "execute", "token"} and API_KEY not in query["token"][0]

    assert stored_key(keyed_page) == API_KEY
    assert keyed_page.execute_script("return localStorage.length") == 0
    assert standin.started == 1


def test_a_key_refused_at_question_time_asks_for_it_again(
    keyed_page: WebDriver, standin: DashScopeStandIn
) -> None:
    use_the_right_key(keyed_page)
    # As if the key were revoked while the page was open.
    keyed_page.execute_script(f"sessionStorage.setItem('{KEY_ITEM}', 'revoked')")
    ask(keyed_page, QUESTION)
    wait(keyed_page, lambda d: shown(d, "key-error"))
    assert "the API key is not valid" in text(keyed_page, "key-error")
    assert text(keyed_page, "status") == "Failed."
    assert stored_key(keyed_page) is None
    assert sources_opened(keyed_page) == 0
    assert standin.started == 0


def test_change_key_forgets_the_key(keyed_page: WebDriver) -> None:
    use_the_right_key(keyed_page)
    keyed_page.find_element(By.ID, "change-key").click()
    assert shown(keyed_page, "key-form") and not shown(keyed_page, "key-error")
    assert not shown(keyed_page, "key-status")
    assert stored_key(keyed_page) is None


def thread_questions(driver: WebDriver) -> list[str]:
    return [p.text for p in driver.find_elements(By.CSS_SELECTOR, "#thread .turn-question")]


def test_a_follow_up_continues_the_conversation_and_a_reload_restores_it(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER))
    ask(page, QUESTION)
    wait(page, lambda d: "#c=c_" in d.current_url and text(d, "status") == "Done.")
    conversation = parse_qs(urlsplit(page.current_url).fragment)["c"][0]
    sent_requests(page)
    standin.push(Script(content=ANSWER))
    ask(page, "那3号线呢？")
    # The earlier turn stacks above the live answer.
    wait(page, lambda d: thread_questions(d) == [QUESTION])
    wait(page, lambda d: text(d, "status") == "Done.")
    streams = [r["url"] for r in sent_requests(page) if "/v1/ask?" in r["url"]]
    assert parse_qs(urlsplit(streams[-1]).query)["conversation_id"] == [conversation]
    prompt = "\n".join(m["content"] for m in standin.requests[-1]["body"]["input"]["messages"])
    assert f"Earlier question: {json.dumps(QUESTION, ensure_ascii=False)}" in prompt
    listed = page.find_elements(By.CSS_SELECTOR, "#conversations li.current button")
    assert [b.text for b in listed] == [QUESTION]

    page.refresh()
    wait(page, lambda d: thread_questions(d) == [QUESTION, "那3号线呢？"])
    page.find_element(By.ID, "new-conversation").click()
    wait(page, lambda d: "#c=" not in d.current_url)
    assert not page.find_element(By.ID, "thread-box").is_displayed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.save_screenshot(str(ARTIFACTS / "conversation.png"))


def test_a_question_back_offers_its_options_as_replies(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    clarify = '```clarify\n{"question": "您指哪条线？", "options": ["1号线", "2号线"]}\n```'
    standin.push(Script(content=clarify))
    ask(page, "有哪些站点")
    wait(page, lambda d: d.find_element(By.ID, "clarify-box").is_displayed())
    assert text(page, "clarify") == "您指哪条线？"
    standin.push(Script(content=ANSWER))
    page.find_element(By.CSS_SELECTOR, "#clarify-options button").click()
    wait(page, lambda d: thread_questions(d) == ["有哪些站点"])
    prompt = "\n".join(m["content"] for m in standin.requests[-1]["body"]["input"]["messages"])
    assert 'You asked back: "您指哪条线？"' in prompt and "Question: 1号线" in prompt


STATIONS_PER_LINE = "SELECT xlbh, count(*) AS zds FROM dtzpt GROUP BY xlbh ORDER BY zds DESC, xlbh"
RIDERS_PER_DAY = "SELECT tjrq, sum(jzl) AS jzl FROM zdkl_rtj GROUP BY tjrq ORDER BY tjrq"


def chart_option(driver: WebDriver) -> dict[str, Any]:
    option: dict[str, Any] = driver.execute_script(
        "const chart = echarts.getInstanceByDom(document.getElementById('chart'));"
        "return chart ? JSON.parse(JSON.stringify(chart.getOption())) : null"
    )
    return option


def table_rows(driver: WebDriver) -> list[list[str]]:
    return [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr")
    ]


def downloaded(driver: WebDriver) -> list[dict[str, str]]:
    links: list[dict[str, str]] = driver.execute_script("return window.__downloads")
    return links


def blob_bytes(driver: WebDriver, url: str) -> bytes:
    values: list[int] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.__blobs[arguments[0]].arrayBuffer()"
        ".then(b => done(Array.from(new Uint8Array(b))));",
        url,
    )
    return bytes(values)


def test_a_ranking_draws_one_bar_per_row_and_downloads_as_csv_and_png(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=f"```sql\n{STATIONS_PER_LINE}\n```\n"))
    ask(page, "各线路站点数排名")
    wait(page, lambda d: text(d, "status") == "Done.")
    wait(page, lambda d: shown(d, "chart"))
    option = chart_option(page)
    rows = table_rows(page)
    assert len(rows) > 1
    (series,) = option["series"]
    assert series["type"] == "bar" and len(series["data"]) == len(rows)
    assert option["xAxis"][0]["data"] == [row[0] for row in rows]  # the SQL's order
    # The count is a number: right-aligned under a right-aligned header.
    headers = page.find_elements(By.CSS_SELECTOR, "#rows thead th")
    assert [h.get_attribute("class") for h in headers] == ["", "num"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.save_screenshot(str(ARTIFACTS / "page-bar.png"))

    page.find_element(By.ID, "toggle-view").click()
    assert not shown(page, "chart") and shown(page, "rows")
    page.find_element(By.ID, "toggle-view").click()
    assert shown(page, "chart")

    page.find_element(By.ID, "download-csv").click()
    page.find_element(By.ID, "download-png").click()
    csv_link, png_link = downloaded(page)
    assert csv_link["name"] == "result.csv" and csv_link["href"].startswith("blob:")
    content = blob_bytes(page, csv_link["href"])
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    lines = content[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "xlbh,zds"
    assert lines[1:-1] == [",".join(row) for row in rows] and lines[-1] == ""
    assert png_link["name"] == "chart.png"
    assert png_link["href"].startswith("data:image/png;base64,")


def test_a_summary_shows_above_the_rows_and_the_usage_adds_both_calls(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    summary = "4号线的站点最多。"
    standin.push(
        Script(
            content=f"```sql\n{STATIONS_PER_LINE}\n```\n",
            usage={"input_tokens": 100, "output_tokens": 20},
        ),
        Script(content=summary, chunk_size=2, usage={"input_tokens": 7, "output_tokens": 3}),
    )
    ask(page, "各线路站点数排名", summarize=True)
    wait(page, lambda d: text(d, "status") == "Done.")
    assert text(page, "answer") == summary and shown(page, "answer-box")
    assert not shown(page, "thinking-box")  # no reasoning came, only a line break after the SQL
    assert len(standin.requests) == 2
    assert text(page, "usage").endswith("107 tokens in, 23 out")
    ARTIFACTS.mkdir(exist_ok=True)
    page.save_screenshot(str(ARTIFACTS / "page-summary.png"))


def test_summarize_needs_the_sql_run(page: WebDriver) -> None:
    execute = page.find_element(By.ID, "execute")
    if execute.is_selected():
        execute.click()
    assert not page.find_element(By.ID, "summarize").is_enabled()
    execute.click()
    assert page.find_element(By.ID, "summarize").is_enabled()


def test_a_time_series_draws_a_line(page: WebDriver, standin: DashScopeStandIn) -> None:
    standin.push(Script(content=f"```sql\n{RIDERS_PER_DAY}\n```\n"))
    ask(page, "每天的进站客流")
    wait(page, lambda d: text(d, "status") == "Done.")
    wait(page, lambda d: shown(d, "chart"))
    option = chart_option(page)
    (series,) = option["series"]
    assert series["type"] == "line" and len(series["data"]) == len(table_rows(page))
    assert option["xAxis"][0]["type"] == "time"
    page.save_screenshot(str(ARTIFACTS / "page-line.png"))


def test_a_result_without_a_chart_shows_only_the_table(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER))
    ask(page, QUESTION)
    wait(page, lambda d: text(d, "status") == "Done.")
    assert not shown(page, "chart") and not shown(page, "toggle-view")
    assert not shown(page, "download-png") and shown(page, "download-csv")


def feedback_sent(driver: WebDriver) -> list[dict[str, Any]]:
    return [
        json.loads(r["postData"])
        for r in sent_requests(driver)
        if r["url"].endswith("/v1/feedback") and r["method"] == "POST"
    ]


def answered(driver: WebDriver, standin: DashScopeStandIn) -> str:
    """Asks the page's demo question; the answer's request id."""
    standin.push(Script(content=ANSWER))
    ask(driver, QUESTION)
    wait(driver, lambda d: text(d, "status") == "Done.")
    request_id: str = driver.execute_script("return result.requestId")
    assert request_id and shown(driver, "feedback-box")
    sent_requests(driver)
    return request_id


def test_thumbs_up_tells_the_feedback_endpoint(page: WebDriver, standin: DashScopeStandIn) -> None:
    request_id = answered(page, standin)
    page.find_element(By.ID, "thumb-up").click()
    wait(page, lambda d: text(d, "feedback-status").startswith("谢谢！"))
    assert feedback_sent(page) == [{"request_id": request_id, "verdict": "up"}]


def test_a_corrected_sql_goes_to_the_feedback_endpoint(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    request_id = answered(page, standin)
    assert not shown(page, "correct-form")
    page.find_element(By.ID, "thumb-down").click()
    box = page.find_element(By.ID, "corrected-sql")
    assert box.get_attribute("value") == SQL  # the answer's SQL, to edit
    corrected = SQL.replace("ORDER BY zdxh", "ORDER BY zdxh DESC")
    box.clear()
    box.send_keys(corrected)
    page.find_element(By.ID, "send-correction").click()
    wait(page, lambda d: "已存为示例" in text(d, "feedback-status"))
    assert feedback_sent(page) == [
        {"request_id": request_id, "verdict": "down", "corrected_sql": corrected}
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.save_screenshot(str(ARTIFACTS / "page-feedback.png"))


def test_numbers_keep_their_scale_and_timestamps_read_in_the_browsers_zone(
    page: WebDriver, standin: DashScopeStandIn
) -> None:
    sql = (
        "SELECT xlmc, xlcd, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS t FROM xlxx WHERE xlbh = 'L01'"
    )
    standin.push(Script(content=f"```sql\n{sql}\n```\n"))
    page.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    try:
        ask(page, "1号线的长度")
        wait(page, lambda d: text(d, "status") == "Done.")
        ((name, length, moment),) = table_rows(page)
    finally:
        page.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
    assert (name, length) == ("1号线", "48.50")  # numeric(6, 2): sent as 48.5
    assert "2024" in moment and "9:00:00" in moment and "GMT+9" in moment
    cells = page.find_elements(By.CSS_SELECTOR, "#rows tbody td")
    assert [c.get_attribute("class") for c in cells] == ["", "num", ""]
    headers = page.find_elements(By.CSS_SELECTOR, "#rows thead th")
    assert [h.get_attribute("class") for h in headers] == ["", "num", ""]
