// The page at `/`: one EventSource on GET /v1/ask per question. Everything the model or the
// database sends is put into the page as text (textContent), never as markup.
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

function cell(value) {
  const td = document.createElement("td");
  if (value === null) {
    td.className = "null";
    td.textContent = "NULL";
  } else if (typeof value === "object") {
    td.textContent = JSON.stringify(value);
  } else {
    if (typeof value === "number") td.className = "num";
    td.textContent = String(value);
  }
  return td;
}

const view = {
  reset() {
    for (const id of ["errors", "thinking", "sql", "problems", "rows", "row-count", "usage"]) {
      $(id).replaceChildren();
    }
    $("sql-verdict").textContent = "";
    for (const id of ["errors", "thinking-box", "sql-box", "rows-box"]) show(id, false);
  },

  thinking(event) {
    if (event.attempt > 1 && !view.attempt2) {
      view.attempt2 = true;
      $("thinking").append(`\n\n— attempt ${event.attempt}: fixing the SQL —\n`);
    }
    $("thinking").append(event.delta);
    show("thinking-box");
  },

  sql(event) {
    $("sql").replaceChildren(highlight(event.sql));
    $("sql").dataset.sql = event.sql;
    const verdict = $("sql-verdict");
    verdict.textContent = event.valid ? "checked" : "rejected";
    verdict.className = `verdict ${event.valid ? "valid" : "invalid"}`;
    if (!event.complete) verdict.textContent += " (the answer stopped inside the SQL)";
    $("problems").replaceChildren(
      ...event.problems.map((problem) => {
        const li = document.createElement("li");
        li.textContent = `${problem.code}: ${problem.message}`;
        return li;
      }),
    );
    $("rows").replaceChildren();
    show("rows-box", false);
    show("sql-box");
  },

  rows(event) {
    const table = $("rows");
    if (event.columns) {
      const head = table.createTHead().insertRow();
      for (const column of event.columns) {
        const th = document.createElement("th");
        th.textContent = column.name;
        th.title = column.type;
        head.append(th);
      }
      table.createTBody();
    }
    const body = table.tBodies[0];
    for (const values of event.rows) {
      const tr = body.insertRow();
      tr.append(...values.map(cell));
    }
    let count = `${event.row_count} row${event.row_count === 1 ? "" : "s"}`;
    if (event.final && event.truncated) count += " (more rows were cut off by the row limits)";
    $("row-count").textContent = count;
    show("rows-box");
  },

  usage(event) {
    $("usage").textContent =
      `${event.model}: ${event.input_tokens} tokens in, ${event.output_tokens} out`;
  },

  error(event) {
    addError(`${event.message} (${event.code}${event.retryable ? ", worth retrying" : ""})`);
  },
};

// ---- the stream -----------------------------------------------------------------------------

let current = null; // { source, url, opened }

function busy(on) {
  $("submit").disabled = on;
  $("stop").disabled = !on;
}

function end(status) {
  if (current) current.source.close();
  current = null;
  busy(false);
  setStatus(status);
}

function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg ?? d.message ?? JSON.stringify(d)).join("; ");
  return JSON.stringify(detail);
}

// An EventSource hides the response of a request that never became a stream (4xx, 5xx): ask once
// more with fetch to show why. A stream that does start is closed at once.
async function explainRefusal(url) {
  const controller = new AbortController();
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (response.ok) {
      controller.abort();
      addError("The connection failed; try again.");
      return;
    }
    let detail = response.statusText;
    try {
      detail = detailText((await response.json()).detail);
    } catch {
      // not JSON: the status text says enough
    }
    addError(`${response.status}: ${detail}`);
  } catch {
    addError("The service cannot be reached.");
  }
}

function ask(question, execute) {
  end("");
  view.reset();
  view.attempt2 = false;
  const params = new URLSearchParams({ question });
  if (execute) params.set("execute", "true");
  const url = `v1/ask?${params}`;
  const source = new EventSource(url);
  const stream = { source, url, opened: false };
  current = stream;
  busy(true);
  setStatus("Asking…");

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
  on("usage", view.usage);
  on("done", () => end($("errors").hidden ? "Done." : "Done, with errors."));
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

async function loadSamples() {
  try {
    const response = await fetch("v1/examples?limit=8");
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
    if (question) ask(question, $("execute").checked);
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => end("Stopped."));
  $("copy").addEventListener("click", copySql);
  loadSamples();
});
