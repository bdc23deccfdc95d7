// Results as a paged table: only one page of rows is in the page at a time (a 4,000-row answer renders as
// fast as a 100-row one and the page stays short). IRIs link only where they are http(s): a `javascript:` or
// `data:` IRI in an answer is shown as text, never as a link. Each IRI gets its label beside it: ontology terms
// from the completion vocabulary, the rest from one small label query per page.

const PAGE_SIZES = [25, 50, 100, 500];
const LABEL_QUERY_LIMIT = 500;

// A term as SPARQL JSON has it: {type: "uri"|"bnode"|"literal", value, "xml:lang"?, datatype?}.
export function fromSparqlJson(data) {
  return { vars: data.head.vars, rows: data.results.bindings };
}

// The named-query API's compact form ({columns, rows} with "lang") as the same shape.
export function fromCompact(answer) {
  const rows = answer.rows.map((row) => {
    const out = {};
    for (const [name, term] of Object.entries(row)) {
      out[name] = term.lang ? { type: term.type, value: term.value, "xml:lang": term.lang } : term;
    }
    return out;
  });
  return { vars: answer.columns, rows };
}

const NT_TERM = String.raw`<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?`;
const NT_LINE = new RegExp(`^\\s*(?:${NT_TERM})\\s+(?:${NT_TERM})\\s+(?:${NT_TERM})\\s*\\.\\s*$`);

function unescapeLiteral(text) {
  return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (all, code) => {
    if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16));
    return { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f" }[code] ?? code;
  });
}

function ntTerm(groups) {
  const [iri, blank, literal, lang, datatype] = groups;
  if (iri !== undefined) return { type: "uri", value: unescapeLiteral(iri) };
  if (blank !== undefined) return { type: "bnode", value: blank };
  const term = { type: "literal", value: unescapeLiteral(literal) };
  if (lang) term["xml:lang"] = lang;
  else if (datatype) term.datatype = datatype;
  return term;
}

// A CONSTRUCT or DESCRIBE answer in N-Triples as a table of triples.
export function fromNTriples(text) {
  const rows = [];
  for (const line of text.split("\n")) {
    const match = line.match(NT_LINE);
    if (!match) continue;
    const groups = match.slice(1);
    rows.push({ subject: ntTerm(groups.slice(0, 5)), predicate: ntTerm(groups.slice(5, 10)),
      object: ntTerm(groups.slice(10, 15)) });
  }
  return { vars: ["subject", "predicate", "object"], rows };
}

// Only http and https IRIs become links; the project's own go to this service's page for them.
export function safeHref(iri, base) {
  let url;
  try {
    url = new URL(iri);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return iri.startsWith(base) ? "/" + iri.slice(base.length) : url.href;
}

// kid:…, klynge:…, org:… by the service's prefix table (klynge.rdf.namespaces, kid: following its base).
export function compact(iri, prefixes = new Map()) {
  for (const [prefix, namespace] of prefixes) {
    const local = iri.slice(namespace.length);
    if (iri.startsWith(namespace) && local && !/[\s<>"]/.test(local)) return `${prefix}:${local}`;
  }
  return iri;
}

// An IRI as text that may wrap after "/", "#" or ":" only (a <wbr> there), so a narrow column never splits
// "region" into "regi" and "on".
function breakable(text) {
  const parts = [];
  for (const piece of text.split(/(?<=[/#:])/)) {
    if (parts.length) parts.push(document.createElement("wbr"));
    parts.push(piece);
  }
  return parts;
}

function iriCellLabel(span, label) {
  span.className = "label";
  span.textContent = label.value;
  if (label.lang) span.lang = label.lang;
}

// rdfs:label (English first, then Danish, then any) of IRIs, from the store, one query for a page.
async function fetchLabels(iris) {
  const usable = iris.filter((iri) => !/[\s<>"{}|^`\\]/.test(iri)).slice(0, LABEL_QUERY_LIMIT);
  if (!usable.length) return new Map();
  const query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" +
    "SELECT ?iri (SAMPLE(?en) AS ?english) (SAMPLE(?da) AS ?danish) (SAMPLE(?any) AS ?other) WHERE {\n" +
    `  VALUES ?iri { ${usable.map((iri) => `<${iri}>`).join(" ")} }\n` +
    "  OPTIONAL { ?iri rdfs:label ?en FILTER(LANGMATCHES(LANG(?en), \"en\")) }\n" +
    "  OPTIONAL { ?iri rdfs:label ?da FILTER(LANGMATCHES(LANG(?da), \"da\")) }\n" +
    "  OPTIONAL { ?iri rdfs:label ?any }\n} GROUP BY ?iri";
  const response = await fetch("/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
    body: query,
  });
  if (!response.ok) return new Map();
  const labels = new Map();
  for (const row of (await response.json()).results.bindings) {
    const label = row.english || row.danish || row.other;
    if (label) labels.set(row.iri.value, { value: label.value, lang: label["xml:lang"] || "" });
  }
  return labels;
}

export class ResultTable {
  constructor(container, { base, vocabulary }) {
    this.container = container;
    this.base = base;
    this.vocabulary = vocabulary;
    this.pageSize = 50;
    this.page = 0;
  }

  show(result, caption) {
    this.result = result;
    this.caption = caption;
    this.page = 0;
    this.render();
  }

  get pageCount() {
    return Math.max(1, Math.ceil(this.result.rows.length / this.pageSize));
  }

  render() {
    const { vars, rows } = this.result;
    const start = this.page * this.pageSize;
    const shown = rows.slice(start, start + this.pageSize);
    // A wide table scrolls sideways inside its region, which the keyboard can focus and scroll.
    const wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    wrapper.tabIndex = 0;
    wrapper.setAttribute("role", "region");
    wrapper.setAttribute("aria-label", `${this.caption} (scrolls sideways when wide)`);
    const table = document.createElement("table");
    table.className = "results";
    const caption = table.createCaption();
    caption.textContent = this.caption;
    const head = table.createTHead().insertRow();
    for (const name of vars) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    }
    const body = table.createTBody();
    const pending = [];
    for (const binding of shown) {
      const row = body.insertRow();
      for (const name of vars) row.appendChild(this.cell(binding[name], pending));
    }
    wrapper.appendChild(table);
    this.container.replaceChildren(this.pager(start, shown.length), wrapper);
    this.fillLabels(pending);
  }

  cell(term, pending) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const href = safeHref(term.value, this.base);
      const shown = compact(term.value, this.vocabulary?.namespaces);
      const node = document.createElement(href ? "a" : "span");
      if (href) node.href = href;
      else node.className = "iri";
      node.append(...breakable(shown));
      node.title = term.value;
      td.appendChild(node);
      const label = document.createElement("span");
      td.appendChild(label);
      const known = this.vocabulary && this.vocabulary.byIri.get(term.value);
      if (known) iriCellLabel(label, { value: known.label, lang: "en" });
      else pending.push([term.value, label]);
    } else if (term.type === "bnode") {
      td.textContent = `_:${term.value}`;
      td.className = "blank";
    } else {
      const value = document.createElement("span");
      value.className = "literal";
      value.textContent = term.value;
      if (term["xml:lang"]) value.lang = term["xml:lang"];
      td.appendChild(value);
      const note = term["xml:lang"] || (term.datatype ? term.datatype.replace(/.*[#/]/, "") : "");
      if (note && note !== "string") {
        const span = document.createElement("span");
        span.className = "note";
        span.textContent = note;
        td.appendChild(span);
      }
    }
    return td;
  }

  async fillLabels(pending) {
    if (!pending.length) return;
    const labels = await fetchLabels([...new Set(pending.map(([iri]) => iri))]);
    for (const [iri, span] of pending) {
      const label = labels.get(iri);
      if (label) iriCellLabel(span, label);
    }
  }

  pager(start, count) {
    const nav = document.createElement("nav");
    nav.className = "pager";
    nav.setAttribute("aria-label", "Result pages");
    const total = this.result.rows.length;
    const where = document.createElement("span");
    where.className = "page-info";
    where.textContent = total ? `Rows ${start + 1}–${start + count} of ${total.toLocaleString("en")}` : "No rows";
    const button = (label, page, disabled) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = label;
      b.disabled = disabled;
      b.addEventListener("click", () => {
        this.page = page;
        this.render();
        this.container.querySelector(`.pager button[data-role="${b.dataset.role}"]`)?.focus();
      });
      return b;
    };
    const previous = button("Previous page", this.page - 1, this.page === 0);
    previous.dataset.role = "previous";
    const next = button("Next page", this.page + 1, this.page >= this.pageCount - 1);
    next.dataset.role = "next";
    const sizeLabel = document.createElement("label");
    sizeLabel.textContent = "Rows per page ";
    const size = document.createElement("select");
    for (const n of PAGE_SIZES) size.add(new Option(String(n), String(n), false, n === this.pageSize));
    size.addEventListener("change", () => {
      this.pageSize = Number(size.value);
      this.page = Math.floor(start / this.pageSize);
      this.render();
      this.container.querySelector(".pager select")?.focus();
    });
    sizeLabel.appendChild(size);
    nav.append(where, previous, next, sizeLabel);
    return nav;
  }
}
