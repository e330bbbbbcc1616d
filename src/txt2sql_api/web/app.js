// The page at `/`: one EventSource on GET /v1/ask per question (with a stream token when the
// service wants an API key). Everything the model or the database sends is put into the page as
// text (textContent), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);

// ---- SQL highlighting: a small tokenizer, good enough for reading, never used to judge SQL ----

const KEYWORDS = new Set(
  ("select from where and or not in is null as on join left right inner outer full cross " +
    "natural using group by order having limit offset fetch union all intersect except distinct " +
    "case when then else end with recursive asc desc nulls first last between like ilike " +
    "similar to exists any some cast over partition window filter within lateral values true " +
    "false interval date time timestamp").split(" "),
);

const TOKEN = new RegExp(
  [
    String.raw`(?<com>--[^\n]*|/\*[\s\S]*?(?:\*/|$))`,
    String.raw`(?<str>[eE]?'(?:[^']|'')*'?)`,
    String.raw`(?<ident>"(?:[^"]|"")*"?)`,
    String.raw`(?<num>\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)`,
    String.raw`(?<word>[\p{L}_][\p{L}\p{N}_$]*)`,
    String.raw`(?<op>::|<=|>=|<>|!=|\|\||[-+*/%=<>(),;.\[\]])`,
    String.raw`(?<other>[\s\S])`,
  ].join("|"),
  "gu",
);

function highlight(sql) {
  const out = document.createDocumentFragment();
  for (const match of sql.matchAll(TOKEN)) {
    const [kind] = Object.entries(match.groups).find(([, text]) => text !== undefined);
    const text = match[0];
    const cls =
      kind === "word" ? (KEYWORDS.has(text.toLowerCase()) ? "kw" : null)
        : kind === "other" ? null
          : kind;
    if (cls === null) {
      out.append(text);
    } else {
      const span = document.createElement("span");
      span.className = `tok-${cls}`;
      span.textContent = text;
      out.append(span);
    }
  }
  return out;
}

// ---- rendering ------------------------------------------------------------------------------

function show(id, visible = true) {
  $(id).hidden = !visible;
}

function setStatus(text) {
  $("status").textContent = text;
}

function addError(text) {
  const p = document.createElement("p");
  p.textContent = text;
  $("errors").append(p);
  show("errors");
}

// PostgreSQL's number types: their cells and headers are right-aligned.
const NUMBER_TYPES = new Set(["int2", "int4", "int8", "numeric", "float4", "float8", "money", "oid"]);

// A value as its column's type shows it: a numeric keeps its scale (199.50, which JSON sends as
// 199.5), a timestamptz reads in the browser's time zone, with the zone.
function shownValue(value, column) {
  if (typeof value === "number" && column?.scale != null && column.scale <= 100) {
    return value.toFixed(column.scale);
  }
  if (typeof value === "string" && column?.type === "timestamptz") {
    const moment = new Date(value);
    if (!Number.isNaN(moment.getTime())) {
      return moment.toLocaleString(undefined, { timeZoneName: "short" });
    }
  }
  return String(value);
}

function cell(value, column) {
  const td = document.createElement("td");
  if (value === null) {
    td.className = "null";
    td.textContent = "NULL";
  } else if (typeof value === "object") {
    td.textContent = JSON.stringify(value);
  } else {
    if (typeof value === "number" || NUMBER_TYPES.has(column?.type)) td.className = "num";
    td.textContent = shownValue(value, column);
    if (td.textContent !== String(value)) td.title = String(value);
  }
  return td;
}

// ---- the result's chart, CSV and PNG ----------------------------------------------------------

const result = { columns: [], rows: [], chart: null, requestId: null };

function disposeChart() {
  if (result.chart !== null) result.chart.dispose();
  result.chart = null;
}

// The option comes from the service's fixed rules (a plain JSON object, no functions), drawn
// by the vendored ECharts; the table stays one click away.
function drawChart(event) {
  if (typeof echarts === "undefined") return;
  disposeChart();
  showChart(true);
  show("toggle-view");
  show("download-png");
  result.chart = echarts.init($("chart"));
  result.chart.setOption({ animation: false, ...event.spec });
}

// The chart above the table, or the table alone.
function showChart(on) {
  show("chart", on);
  $("toggle-view").textContent = on ? "只看表格" : "显示图表";
  if (on) result.chart?.resize();
}

function csvField(value) {
  const text = value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// With a byte order mark, so that Excel reads the UTF-8 (Chinese names and values) as UTF-8.
function resultCsv() {
  const lines = [result.columns.map((c) => c.name), ...result.rows].map(
    (values) => values.map(csvField).join(","),
  );
  return `\ufeff${lines.join("\r\n")}\r\n`;
}

function save(name, href) {
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  link.click();
}

function downloadCsv() {
  const url = URL.createObjectURL(new Blob([resultCsv()], { type: "text/csv;charset=utf-8" }));
  save("result.csv", url);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function downloadPng() {
  if (result.chart === null) return;
  save("chart.png", result.chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" }));
}

// ---- feedback: 👍 / 👎 and a corrected SQL, which the store learns from ----------------------

async function sendFeedback(verdict, correctedSql = null) {
  if (result.requestId === null) return;
  const body = { request_id: result.requestId, verdict };
  if (correctedSql !== null) body.corrected_sql = correctedSql;
  $("feedback-status").textContent = "…";
  try {
    const response = await call("v1/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response === null) return;
    if (!response.ok) {
      $("feedback-status").textContent = await refusalText(response);
      return;
    }
    const saved = await response.json();
    $("feedback-status").textContent = saved.example
      ? `谢谢！已存为示例 #${saved.example.id}。` : "谢谢！";
    if (verdict === "up" || saved.example) show("correct-form", false);
  } catch {
    $("feedback-status").textContent = "The service cannot be reached.";
  }
}

const view = {
  reset() {
    disposeChart();
    Object.assign(result, { columns: [], rows: [], requestId: null });
    $("feedback-status").textContent = "";
    $("corrected-sql").value = "";
    for (const id of ["chart", "toggle-view", "download-png", "feedback-box", "correct-form"]) {
      show(id, false);
    }
    for (const id of ["errors", "thinking", "sql", "problems", "rows", "row-count", "usage", "context",
      "clarify", "clarify-options", "answer"]) {
      $(id).replaceChildren();
    }
    $("sql-verdict").textContent = "";
    for (const id of ["errors", "thinking-box", "sql-box", "rows-box", "context-box", "clarify-box",
      "answer-box"]) {
      show(id, false);
    }
  },

  thinking(event) {
    if (event.attempt > 1 && !view.attempt2) {
      view.attempt2 = true;
      $("thinking").append(`\n\n— attempt ${event.attempt}: fixing the SQL —\n`);
    }
    $("thinking").append(event.delta);
    // A line break after the SQL is no reasoning to show.
    if ($("thinking").textContent.trim()) show("thinking-box");
  },

  sql(event) {
    $("sql").replaceChildren(highlight(event.sql));
    $("sql").dataset.sql = event.sql;
    const verdict = $("sql-verdict");
    verdict.textContent = event.valid ? "checked" : "rejected";
    verdict.className = `verdict ${event.valid ? "valid" : "invalid"}`;
    if (!event.complete) verdict.textContent += " (the answer stopped inside the SQL)";
    if (event.source === "example") verdict.textContent += ` · 已验证示例 #${event.example_id}`;
    $("problems").replaceChildren(
      ...event.problems.map((problem) => {
        const li = document.createElement("li");
        li.textContent = `${problem.code}: ${problem.message}`;
        return li;
      }),
    );
    $("rows").replaceChildren();
    disposeChart();
    Object.assign(result, { columns: [], rows: [] });
    show("rows-box", false);
    show("sql-box");
  },

  rows(event) {
    const table = $("rows");
    if (event.columns) {
      const head = table.createTHead().insertRow();
      result.columns = event.columns;
      for (const column of event.columns) {
        const th = document.createElement("th");
        th.textContent = column.name;
        th.title = column.type;
        if (NUMBER_TYPES.has(column.type)) th.className = "num";
        head.append(th);
      }
      table.createTBody();
    }
    const body = table.tBodies[0];
    for (const values of event.rows) {
      result.rows.push(values);
      const tr = body.insertRow();
      tr.append(...values.map((value, index) => cell(value, result.columns[index])));
    }
    let count = `${event.row_count} row${event.row_count === 1 ? "" : "s"}`;
    if (event.final && event.truncated) count += " (more rows were cut off by the row limits)";
    $("row-count").textContent = count;
    show("rows-box");
  },

  // The tables and why, the values, dates and glossary terms of the question, the examples: one line
  // each, as text (never as HTML: it holds the database's comments).
  context(event) {
    const lines = [`attempt ${event.attempt}: ${event.schema_tokens} schema tokens`];
    for (const t of event.tables) {
      const cut = t.columns_left_out ? ` (省略 ${t.columns_left_out} 列)` : "";
      lines.push(`表 ${t.table} (${t.score})${cut}: ${t.reasons.join("; ")}`);
    }
    for (const v of event.values) lines.push(`值 ${v.value} → ${v.columns.join(", ")}`);
    for (const d of event.dates) lines.push(`日期 ${d.text} = ${d.start} ≤ t < ${d.end}`);
    for (const g of event.glossary) lines.push(`术语 ${g.term}（${g.matched}）: ${g.meaning}`);
    for (const e of event.examples) lines.push(`示例 #${e.id} (${e.score}): ${e.question}`);
    $("context").append(...lines.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    show("context-box");
  },

  // The model asks back: its options fill in the reply, which continues the conversation.
  clarify(event) {
    $("clarify").textContent = event.question;
    $("clarify-options").replaceChildren(
      ...(event.options ?? []).map((option) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = option;
        button.addEventListener("click", () => {
          $("question").value = option;
          $("ask").requestSubmit();
        });
        li.append(button);
        return li;
      }),
    );
    show("clarify-box");
  },

  answer(event) {
    $("answer").append(event.delta);
    show("answer-box");
  },

  // Each model call (a repair's, the summary's) tells its own tokens: the line adds them up.
  usage(event) {
    const line = $("usage");
    const fresh = line.textContent === "";
    const input = (fresh ? 0 : Number(line.dataset.input)) + event.input_tokens;
    const output = (fresh ? 0 : Number(line.dataset.output)) + event.output_tokens;
    Object.assign(line.dataset, { input, output });
    line.textContent = `${event.model}: ${input} tokens in, ${output} out`;
  },

  error(event) {
    addError(`${event.message} (${event.code}${event.retryable ? ", worth retrying" : ""})`);
  },
};

// ---- the API key, when the service wants one -----------------------------------------------

// In sessionStorage only: it lasts as long as the tab, other tabs and later visits never see it,
// and it only ever travels in a header. EventSource cannot send headers, so each question
// trades it for a short-lived token (POST /v1/tokens) that goes in the stream's URL instead.
const KEY_ITEM = "txt2sql.apiKey";
// What fetch can send in a header and the server compares as given: printable ASCII.
const SENDABLE_KEY = /^[\x20-\x7e]+$/;

function storedKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

function askForKey(refusal = "") {
  const refused = storedKey() !== null;
  sessionStorage.removeItem(KEY_ITEM);
  $("key-error").textContent = refused
    ? `The API key was refused (${refusal}). Enter it again.`
    : "";
  show("key-error", refused);
  show("key-status", false);
  show("key-form");
  $("key").focus();
}

function keyAccepted() {
  show("key-form", false);
  show("key-status", storedKey() !== null);
}

// ---- calls ----------------------------------------------------------------------------------

function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg ?? d.message ?? JSON.stringify(d)).join("; ");
  return JSON.stringify(detail);
}

async function refusalText(response) {
  let detail = response.statusText;
  try {
    detail = detailText((await response.json()).detail);
  } catch {
    // not JSON: the status text says enough
  }
  return `${response.status}: ${detail}`;
}

// A call with the key, if there is one. A 401 means the service wants a key or refused this
// one: the key form says so, and the caller gets null.
async function call(url, init = {}) {
  const key = storedKey();
  const headers = { ...init.headers, ...(key === null ? {} : { Authorization: `Bearer ${key}` }) };
  const response = await fetch(url, { ...init, headers });
  if (response.status !== 401) return response;
  askForKey(await refusalText(response));
  return null;
}

// The stream token for one question, or null (the reason is already on the page).
async function streamToken() {
  try {
    const response = await call("v1/tokens", { method: "POST" });
    if (response === null) return null;
    if (!response.ok) {
      addError(await refusalText(response));
      return null;
    }
    return (await response.json()).token;
  } catch {
    addError("The service cannot be reached.");
    return null;
  }
}

// ---- the conversation -----------------------------------------------------------------------

// The conversation the next question follows up, kept in the URL's fragment so that a reload
// (or a shared link, for its owner) reopens it.
let conversationId = new URLSearchParams(location.hash.slice(1)).get("c");

function setConversation(id) {
  conversationId = id;
  const url = id ? `#${new URLSearchParams({ c: id })}` : location.pathname + location.search;
  history.replaceState(null, "", url);
}

function turnItem(turn) {
  const li = document.createElement("li");
  const question = document.createElement("p");
  question.className = "turn-question";
  question.textContent = turn.question;
  li.append(question);
  if (turn.sql) {
    const code = document.createElement("pre");
    code.className = "sql";
    code.append(highlight(turn.sql));
    li.append(code);
  }
  const outcome = document.createElement("p");
  outcome.className = "muted";
  outcome.textContent = turn.clarify ? `模型想确认：${turn.clarify}`
    : !turn.sql ? "no SQL"
      : !turn.valid ? "SQL rejected"
        : turn.ran ? `${turn.row_count} row${turn.row_count === 1 ? "" : "s"}` : "SQL checked";
  li.append(outcome);
  return li;
}

// The conversation's turns; `live`: the last one is the answer shown below, not repeated.
async function loadThread(live) {
  if (conversationId === null) {
    $("thread").replaceChildren();
    show("thread-box", false);
    return;
  }
  try {
    const response = await call(`v1/conversations/${encodeURIComponent(conversationId)}`);
    if (response === null) return;
    if (response.status === 404) {
      setConversation(null);
      show("thread-box", false);
      return;
    }
    if (!response.ok) return;
    const turns = (await response.json()).turns;
    const shown = live ? turns.slice(0, -1) : turns;
    $("thread").replaceChildren(...shown.map(turnItem));
    show("thread-box", shown.length > 0);
  } catch {
    // the thread is a convenience: the answer itself is on the page
  }
}

async function loadConversations() {
  try {
    const response = await call("v1/conversations?limit=20");
    if (response === null || !response.ok) return;
    const conversations = await response.json();
    $("conversations").replaceChildren(
      ...conversations.map((conversation) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = conversation.first_question;
        button.title = `${conversation.turns} question${conversation.turns === 1 ? "" : "s"}`;
        if (conversation.id === conversationId) li.className = "current";
        button.addEventListener("click", () => reopen(conversation.id));
        li.append(button);
        return li;
      }),
    );
  } catch {
    // the list is a convenience
  }
}

function reopen(id) {
  end("");
  view.reset();
  setConversation(id);
  loadThread(false);
  loadConversations();
  $("question").focus();
}

// ---- the stream -----------------------------------------------------------------------------

let current = null; // { source, opened }; source is null while the token is on its way

function busy(on) {
  $("submit").disabled = on;
  $("stop").disabled = !on;
}

function end(status) {
  if (current?.source) current.source.close();
  current = null;
  busy(false);
  setStatus(status);
}

// An EventSource hides the response of a request that never became a stream (4xx, 5xx): ask once
// more with fetch to show why. A stream that does start is closed at once.
async function explainRefusal(url) {
  const controller = new AbortController();
  try {
    const response = await call(url, { signal: controller.signal });
    if (response === null) return;
    if (response.ok) {
      controller.abort();
      addError("The connection failed; try again.");
      return;
    }
    addError(await refusalText(response));
  } catch {
    addError("The service cannot be reached.");
  }
}

async function ask(question, execute, summarize) {
  end("");
  view.reset();
  view.attempt2 = false;
  const stream = { source: null, opened: false };
  current = stream;
  busy(true);
  setStatus("Asking…");
  const params = new URLSearchParams({ question });
  if (execute) params.set("execute", "true");
  if (execute && summarize) params.set("summarize", "true");
  if (conversationId !== null) params.set("conversation_id", conversationId);
  if (storedKey() !== null) {
    const token = await streamToken();
    if (current !== stream) return; // stopped, or another question, while the token came
    if (token === null) {
      end("Failed.");
      return;
    }
    params.set("token", token);
  }
  const url = `v1/ask?${params}`;
  const source = new EventSource(url);
  stream.source = source;

  const on = (name, handler) =>
    source.addEventListener(name, (message) => {
      if (current === stream) handler(JSON.parse(message.data));
    });
  source.addEventListener("open", () => {
    stream.opened = true;
    setStatus("Thinking…");
  });
  on("thinking", view.thinking);
  on("sql", (event) => {
    view.sql(event);
    if (execute && event.valid) setStatus("Running the SQL…");
  });
  on("rows", view.rows);
  on("chart", drawChart);
  on("answer", (event) => {
    view.answer(event);
    setStatus("Writing the answer…");
  });
  on("usage", view.usage);
  on("context", view.context);
  on("clarify", view.clarify);
  on("done", (event) => {
    const verdict = $("sql-verdict").textContent;
    result.requestId = event.request_id;
    // An answer with SQL can be judged, and a wrong one corrected.
    if ($("sql").dataset.sql) {
      $("corrected-sql").value = $("sql").dataset.sql;
      show("feedback-box");
    }
    end(!$("errors").hidden ? "Done, with errors."
      : verdict.startsWith("rejected") ? "The SQL was rejected."
        : "Done.");
    if (event.conversation_id) {
      setConversation(event.conversation_id);
      loadThread(true);
      loadConversations();
    }
  });
  // The stream's own `error` events are MessageEvents with data; the EventSource's connection
  // failures are plain Events. Either way a failed connection is closed here, or the browser
  // would reconnect and ask the question again.
  source.addEventListener("error", (event) => {
    if (current !== stream) return;
    if (event instanceof MessageEvent) {
      view.error(JSON.parse(event.data));
      return;
    }
    end("Failed.");
    if (stream.opened) {
      addError("The connection was lost before the answer finished.");
    } else {
      explainRefusal(url);
    }
  });
}

// Also the page's check of the key: the first call that needs one when the service wants keys.
async function loadSamples() {
  try {
    const response = await call("v1/examples?limit=8");
    if (response === null) return;
    keyAccepted();
    if (!response.ok) return;
    const examples = await response.json();
    $("samples").replaceChildren(
      ...examples.map((example) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = example.question;
        button.addEventListener("click", () => {
          $("question").value = example.question;
          $("question").focus();
        });
        li.append(button);
        return li;
      }),
    );
    show("samples-box", examples.length > 0);
  } catch {
    // no samples: the page works without them
  }
}

function useKey() {
  const key = $("key").value.trim();
  if (!SENDABLE_KEY.test(key)) {
    $("key-error").textContent = "An API key is made of letters, digits and punctuation.";
    show("key-error");
    return;
  }
  $("key").value = "";
  sessionStorage.setItem(KEY_ITEM, key);
  loadSamples();
}

async function copySql() {
  const sql = $("sql").dataset.sql ?? "";
  try {
    await navigator.clipboard.writeText(sql);
    $("copy").textContent = "Copied";
  } catch {
    $("copy").textContent = "Copy failed";
  }
  setTimeout(() => {
    $("copy").textContent = "Copy";
  }, 1500);
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!$("key-form").hidden) {
      setStatus("Enter the API key first.");
      $("key").focus();
    } else if (question) {
      ask(question, $("execute").checked, $("summarize").checked);
    }
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => end("Stopped."));
  // The short answer is written from the rows: no rows, no answer.
  $("execute").addEventListener("change", () => {
    $("summarize").disabled = !$("execute").checked;
  });
  $("new-conversation").addEventListener("click", () => reopen(null));
  $("copy").addEventListener("click", copySql);
  $("toggle-view").addEventListener("click", () => showChart($("chart").hidden));
  $("download-csv").addEventListener("click", downloadCsv);
  $("download-png").addEventListener("click", downloadPng);
  $("thumb-up").addEventListener("click", () => sendFeedback("up"));
  $("thumb-down").addEventListener("click", () => {
    show("correct-form");
    $("corrected-sql").focus();
  });
  $("correct-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const sql = $("corrected-sql").value.trim();
    sendFeedback("down", sql && sql !== $("sql").dataset.sql ? sql : null);
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useKey();
  });
  $("change-key").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_ITEM);
    askForKey();
  });
  loadSamples();
  loadConversations();
  if (conversationId !== null) loadThread(false);
});
