// The SPARQL editor: highlighting by a transparent textarea over a highlighted <pre>, the named queries
// from /api/queries, results from /sparql as a table whose IRIs link to their pages, and CSV download.
"use strict";

const KEYWORDS = new Set(("SELECT CONSTRUCT DESCRIBE ASK WHERE FILTER OPTIONAL UNION MINUS GRAPH SERVICE BIND " +
  "VALUES PREFIX BASE DISTINCT REDUCED ORDER BY ASC DESC LIMIT OFFSET GROUP HAVING AS FROM NAMED NOT EXISTS IN " +
  "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE " +
  "REGEX REPLACE CONTAINS STRSTARTS STRENDS LCASE UCASE YEAR IF COALESCE ISIRI ISLITERAL ISBLANK A TRUE FALSE")
  .split(" "));
const TOKEN = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(<[^<>"{}|^`\\\s]*>)|([?$][A-Za-z_0-9]+)|([A-Za-z][\w-]*)?:([\w.-]*)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_]+)/g;

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function highlight(source) {
  let html = "";
  let last = 0;
  for (const match of source.matchAll(TOKEN)) {
    html += escapeHtml(source.slice(last, match.index));
    const text = escapeHtml(match[0]);
    let kind = null;
    if (match[1]) kind = "comment";
    else if (match[2]) kind = "string";
    else if (match[3]) kind = "iri";
    else if (match[4]) kind = "variable";
    else if (match[6] !== undefined) kind = "prefixed";
    else if (match[7]) kind = "number";
    else if (match[8] && KEYWORDS.has(match[8].toUpperCase())) kind = "keyword";
    html += kind ? `<span class="tok-${kind}">${text}</span>` : text;
    last = match.index + match[0].length;
  }
  return html + escapeHtml(source.slice(last)) + "\n";
}

function localHref(iri, base) {
  return iri.startsWith(base) ? "/" + iri.slice(base.length) : iri;
}

// kid:…, klynge:…, org:… with the service's prefix table (klynge.namespaces), as the pages write them.
function compact(iri, prefixes) {
  for (const [prefix, namespace] of Object.entries(prefixes)) {
    if (iri.startsWith(namespace) && iri.length > namespace.length) return prefix + ":" + iri.slice(namespace.length);
  }
  return iri;
}

function cell(term, app) {
  const td = document.createElement("td");
  if (!term) return td;
  if (term.type === "uri") {
    const a = document.createElement("a");
    a.href = localHref(term.value, app.base);
    a.textContent = compact(term.value, app.prefixes);
    a.title = term.value;
    td.appendChild(a);
  } else {
    td.textContent = term.value;
    const note = term["xml:lang"] || (term.datatype ? term.datatype.replace(/.*[#/]/, "") : "");
    if (note && note !== "string") {
      const span = document.createElement("span");
      span.className = "note";
      span.textContent = " " + note;
      td.appendChild(span);
    }
  }
  return td;
}

function renderTable(data, app) {
  const table = document.createElement("table");
  table.className = "results";
  const head = table.createTHead().insertRow();
  for (const name of data.head.vars) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const binding of data.results.bindings) {
    const row = body.insertRow();
    for (const name of data.head.vars) row.appendChild(cell(binding[name], app));
  }
  return table;
}

async function runQuery(app, accept) {
  const query = app.textarea.value;
  const response = await fetch("/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query", Accept: accept },
    body: query,
  });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return response;
}

async function showResults(app) {
  app.status.textContent = "Running…";
  app.results.replaceChildren();
  const started = performance.now();
  try {
    const response = await runQuery(app, "application/sparql-results+json, text/turtle;q=0.9");
    const type = response.headers.get("content-type") || "";
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (type.includes("json")) {
      const data = await response.json();
      if ("boolean" in data) {
        app.results.textContent = data.boolean ? "true" : "false";
        app.status.textContent = `Answer in ${seconds} s`;
      } else {
        app.results.appendChild(renderTable(data, app));
        app.status.textContent = `${data.results.bindings.length} rows in ${seconds} s`;
      }
    } else {
      const pre = document.createElement("pre");
      pre.textContent = await response.text();
      app.results.appendChild(pre);
      app.status.textContent = `Graph in ${seconds} s`;
    }
  } catch (error) {
    app.status.textContent = "";
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = error.message;
    app.results.appendChild(p);
  }
}

async function downloadCsv(app) {
  try {
    const blob = await (await runQuery(app, "text/csv")).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "klynge-results.csv";
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    app.status.textContent = error.message;
  }
}

// A named query's parameter as SPARQL text, from its default or example value.
function parameterTerm(parameter) {
  const value = String(parameter.default ?? parameter.example ?? "");
  switch (parameter.type) {
    case "iri": return `<${value}>`;
    case "integer": return value;
    case "year": return `"${value}"^^<http://www.w3.org/2001/XMLSchema#gYear>`;
    case "lang": {
      const at = value.lastIndexOf("@");
      return `${JSON.stringify(value.slice(0, at))}@${value.slice(at + 1)}`;
    }
    default: return JSON.stringify(value);
  }
}

// Substitute a value for a variable as the API binds it: the body gets the value; a SELECT list that
// projects the variable drops it (a constant cannot be projected, nor AS-bound where a subquery binds it);
// GROUP BY and ORDER BY get it in brackets, as an expression.
function substitute(text, variable, term) {
  const name = `[?$]${variable}(?![\\w])`;
  const projections = /(SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?)([^{]*?)(\bWHERE\b|\{)/gi;
  const modifiers = /((?:GROUP|ORDER)\s+BY\s+)([^{}]*?)(?=\b(?:HAVING|ORDER|LIMIT|OFFSET|VALUES)\b|\}|$)/gi;
  return text
    .replace(projections, (all, head, list, tail) => {
      const rest = list.replace(new RegExp(`\\s*${name}`, "g"), "");
      return head + (rest.trim() ? rest : "* ") + tail;
    })
    .replace(modifiers, (all, head, list) => head + list.replace(new RegExp(name, "g"), `(${term})`))
    .replace(new RegExp(name, "g"), term);
}

// The named query's text with its required and defaulted parameters (?_name_type, grlc style) set to their
// default or example; optional parameters without a default stay variables, which means "any".
function fillParameters(entry) {
  // The #+ header documents the query for the API; in the editor its title is enough.
  let text = (entry.sparql || entry.query || "").replace(/^(?:#\+[^\n]*\n)+\s*/, `# ${entry.title}\n\n`);
  const filled = [];
  for (const parameter of entry.parameters || []) {
    if (!parameter.required && parameter.default == null) continue;
    const match = text.match(new RegExp(`[?$](_{1,2}${parameter.name}_${parameter.type})(?![\\w])`));
    if (!match) continue;
    text = substitute(text, match[1], parameterTerm(parameter));
    filled.push(`${parameter.name} = ${parameter.default ?? parameter.example}`);
  }
  return { text, filled };
}

async function loadNamedQueries(app) {
  const list = document.getElementById("named-queries");
  try {
    const response = await fetch("/api/queries", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status}`);
    const payload = await response.json();
    const queries = Array.isArray(payload) ? payload : payload.queries || [];
    list.replaceChildren();
    for (const entry of queries) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = entry.title || entry.name;
      button.title = entry.description || "";
      button.addEventListener("click", () => {
        const { text, filled } = fillParameters(entry);
        app.textarea.value = text;
        app.status.textContent = filled.length ? `Parameters set to examples: ${filled.join(", ")}` : "";
        app.textarea.focus();
        app.textarea.setSelectionRange(0, 0);
        app.textarea.scrollTop = 0;
        app.textarea.scrollLeft = 0;
        app.sync();
      });
      li.appendChild(button);
      list.appendChild(li);
    }
    if (!queries.length) list.innerHTML = '<li class="note">No named queries.</li>';
  } catch (error) {
    list.innerHTML = '<li class="note">The named queries could not be loaded.</li>';
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("editor-app");
  const app = {
    base: root.dataset.baseIri,
    prefixes: JSON.parse(root.dataset.prefixes || "{}"),
    textarea: document.getElementById("query"),
    pre: document.getElementById("highlight"),
    status: document.getElementById("status"),
    results: document.getElementById("results"),
  };
  app.sync = () => {
    app.pre.innerHTML = highlight(app.textarea.value);
    app.pre.scrollTop = app.textarea.scrollTop;
    app.pre.scrollLeft = app.textarea.scrollLeft;
  };
  app.textarea.addEventListener("input", app.sync);
  app.textarea.addEventListener("scroll", app.sync);
  app.textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) showResults(app);
  });
  document.getElementById("run").addEventListener("click", () => showResults(app));
  document.getElementById("csv").addEventListener("click", () => downloadCsv(app));
  app.sync();
  loadNamedQueries(app);
});
