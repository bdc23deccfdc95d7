// The SPARQL editor page (/query): CodeMirror 6 with the SPARQL mode, completion from the ontology and shapes,
// named queries with a parameter form bound on the server, results in a paged table, downloads, and the
// query or the chosen named query with its parameters kept in the URL so that a link restores it.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { tags } from "@lezer/highlight";

import { loadVocabulary, sparqlCompletion } from "./completion.js";
import { explain, markRange, withEditorHint } from "./errors.js";
import { clearInvalid, displayText, formValues, loadCatalogue, markInvalid, renderForm } from "./named.js";
import { fromCompact, fromNTriples, fromSparqlJson, ResultTable } from "./results.js";
import { tokens } from "./sparql-context.js";

// Colours at 4.5:1 or more on the editor's white background (WCAG AA for text).
const highlightStyle = HighlightStyle.define([
  { tag: tags.keyword, color: "#6b2c9e", fontWeight: "600" },
  { tag: tags.local(tags.variableName), color: "#8a4300" },
  { tag: tags.atom, color: "#0a5c42" },
  { tag: tags.standard(tags.variableName), color: "#1a5a96" },
  { tag: tags.string, color: "#a4161a" },
  { tag: tags.comment, color: "#52606b", fontStyle: "italic" },
  { tag: tags.meta, color: "#52606b" },
  { tag: tags.number, color: "#a4161a" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "#ffffff", color: "#1d2a33", border: "1px solid #8a98a3", borderRadius: "6px" },
  "&.cm-focused": { outline: "3px solid #1a5a96", outlineOffset: "2px" },
  ".cm-content": { fontFamily: "ui-monospace, Menlo, Consolas, monospace", fontSize: "14px", caretColor: "#1d2a33" },
  ".cm-gutters": { backgroundColor: "#f5f7f8", color: "#4f5d67", borderRight: "1px solid #d8dee3" },
  ".cm-activeLine": { backgroundColor: "#f3f6fb" },
  ".cm-activeLineGutter": { backgroundColor: "#e6ebf0", color: "#1d2a33" },
  ".cm-tooltip": { backgroundColor: "#ffffff", color: "#1d2a33", border: "1px solid #8a98a3" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { backgroundColor: "#1d2a33", color: "#ffffff" },
  ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail": { color: "#ffffff" },
  ".cm-completionDetail": { color: "#4f5d67", fontStyle: "normal", marginLeft: "0.8em" },
  ".cm-completionSection": { color: "#1d2a33", opacity: "1", borderBottom: "1px solid #8a98a3", paddingLeft: "0.3em" },
  ".cm-tooltip.cm-tooltip-autocomplete > ul": { maxHeight: "none" },
  ".cm-completionInfo": { color: "#1d2a33", backgroundColor: "#ffffff" },
  ".cm-diagnostic-error": { borderLeft: "4px solid #a4161a", color: "#1d2a33" },
  ".cm-lintRange-error": { backgroundColor: "#fbe3e4" },
});

const GRAPH_FORMS = new Set(["CONSTRUCT", "DESCRIBE"]);

function queryForm(text) {
  const first = tokens(text).find((t) => t.kind === "word" && /^(SELECT|CONSTRUCT|DESCRIBE|ASK)$/i.test(t.text));
  return first ? first.text.toUpperCase() : "SELECT";
}

class EditorPage {
  constructor(root) {
    this.root = root;
    this.base = root.dataset.baseIri;
    this.status = document.getElementById("status");
    this.problem = document.getElementById("problem");
    this.picker = document.getElementById("named");
    this.description = document.getElementById("named-description");
    this.form = document.getElementById("parameters");
    this.format = document.getElementById("download-format");
    // [key, name, media type] per menu ("table", "graph", "named"), from the server's format registry
    this.downloads = JSON.parse(root.dataset.downloads);
    this.named = null;
    this.namedText = null;
    this.catalogue = new Map();
    this.vocabulary = null;
    this.results = document.getElementById("results");
    this.table = new ResultTable(this.results, { base: this.base, vocabulary: null });
    this.view = this.mountEditor(document.getElementById("query"));
    this.syncDownloads();
  }

  mountEditor(textarea) {
    const completionSource = (context) => (this.vocabulary ? sparqlCompletion(this.vocabulary)(context) : null);
    const run = () => {
      this.run();
      return true;
    };
    const view = new EditorView({
      state: EditorState.create({
        doc: textarea.value,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          closeBrackets(),
          highlightSelectionMatches(),
          StreamLanguage.define(sparql),
          syntaxHighlighting(highlightStyle),
          // A window of options that fits without scrolling: the list keeps the focus in the editor
          // (aria-activedescendant), so a scrolling list would be a region no keyboard can scroll.
          autocompletion({ override: [completionSource], icons: false, maxRenderedOptions: 12 }),
          lintGutter(),
          EditorView.lineWrapping,
          keymap.of([{ key: "Mod-Enter", run }, ...closeBracketsKeymap, ...completionKeymap, ...searchKeymap,
            ...historyKeymap, ...defaultKeymap, indentWithTab]),
          EditorView.contentAttributes.of({ "aria-label": "SPARQL query", "aria-describedby": "editor-help" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) this.edited();
          }),
          theme,
          // The page's policy admits no inline style but the one this nonce marks: the editor's theme.
          EditorView.cspNonce.of(this.root.dataset.styleNonce || ""),
        ],
      }),
    });
    textarea.replaceWith(view.dom);
    view.dom.id = "code-editor";
    return view;
  }

  get text() {
    return this.view.state.doc.toString();
  }

  setText(text) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text },
      selection: { anchor: 0 }, scrollIntoView: true });
  }

  edited() {
    this.view.dispatch(setDiagnostics(this.view.state, []));
    if (this.named && this.text !== this.namedText) {
      this.choose(null);
      this.description.textContent = "Edited: this is now your own query, run as written.";
    }
    this.syncDownloads();
    clearTimeout(this.rememberLater);
    this.rememberLater = setTimeout(() => this.remember(), 400);
  }

  get kind() {
    const form = this.named ? this.named.form : queryForm(this.text);
    return GRAPH_FORMS.has(form) ? "graph" : "table";
  }

  get downloadMenu() {
    return this.downloads[this.kind === "table" && this.named ? "named" : this.kind];
  }

  syncDownloads() {
    const wanted = this.downloadMenu;
    const keys = wanted.map(([key]) => key).join();
    if (this.format.dataset.keys === keys) return;
    const chosen = this.format.value;
    this.format.replaceChildren(...wanted.map(([key, label]) => new Option(label, key, false, key === chosen)));
    this.format.dataset.keys = keys;
  }

  async start() {
    const params = new URLSearchParams(window.location.search);
    const [catalogue, vocabulary] = await Promise.allSettled([loadCatalogue(), loadVocabulary()]);
    if (vocabulary.status === "fulfilled") {
      this.vocabulary = vocabulary.value;
      this.table.vocabulary = this.vocabulary;
    } else {
      this.say(`Completion is unavailable: ${vocabulary.reason.message}`);
    }
    if (catalogue.status === "rejected") {
      this.say(catalogue.reason.message);
      this.root.dataset.ready = "true";
      return;
    }
    for (const entry of catalogue.value) {
      this.catalogue.set(entry.name, entry);
      this.picker.add(new Option(entry.title, entry.name));
    }
    this.picker.addEventListener("change", () => this.choose(this.catalogue.get(this.picker.value) || null, true));
    this.form.addEventListener("input", () => this.remember());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    const named = this.catalogue.get(params.get("named") || "");
    if (named) {
      // A shared link to a named query shows its answer, as it showed to the person who shared it.
      this.choose(named, true, params);
      this.run();
    } else if (params.get("named")) this.say(`There is no named query “${params.get("named")}”.`);
    this.root.dataset.ready = "true";
  }

  choose(entry, load = false, values = new URLSearchParams()) {
    this.named = entry;
    this.picker.value = entry ? entry.name : "";
    this.description.textContent = entry ? entry.description : "";
    renderForm(this.form, entry, values);
    if (entry && load) {
      this.namedText = displayText(entry);
      this.setText(this.namedText);
      this.clearAnswer(); // the last query's table and error belong to another query
    }
    this.syncDownloads();
    this.remember();
  }

  // The URL holds what is on screen: ?named=…&parameter=… for a named query, else ?query=….
  remember() {
    const params = this.named ? new URLSearchParams([["named", this.named.name], ...formValues(this.form)])
      : new URLSearchParams([["query", this.text]]);
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
  }

  say(message) {
    this.status.textContent = message;
  }

  // No answer on screen: no table, no problem, no mark in the editor, no status.
  clearAnswer() {
    this.results.replaceChildren();
    this.problem.replaceChildren();
    this.view.dispatch(setDiagnostics(this.view.state, []));
    this.say("");
  }

  showProblem(message) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = message;
    this.problem.replaceChildren(p);
  }

  async request(accept, format) {
    if (this.named) {
      const params = formValues(this.form);
      if (format) params.set("format", format);
      const response = await fetch(`/api/queries/${this.named.name}?${params}`, { headers: { Accept: accept } });
      return { response, named: true };
    }
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", Accept: accept },
      body: this.text,
    });
    return { response, named: false };
  }

  async failure(response, named) {
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? (await response.json()).detail : await response.text();
    const text = String(body);
    if (named) {
      markInvalid(this.form, text);
      return `${response.status}: ${text}`;
    }
    const parsed = response.status === 400 ? explain(text) : null;
    if (!parsed) return text;
    const message = withEditorHint(parsed);
    const { from, to } = markRange(parsed, this.text);
    this.view.dispatch(setDiagnostics(this.view.state, [{ from, to, severity: "error", message }]));
    return message;
  }

  async run() {
    this.remember();
    clearInvalid(this.form);
    this.problem.replaceChildren();
    this.say("Running…");
    const started = performance.now();
    const accept = this.kind === "graph" ? "application/n-triples"
      : "application/sparql-results+json, application/json;q=0.9, application/n-triples;q=0.8";
    try {
      const { response, named } = await this.request(accept);
      if (!response.ok) {
        this.clearAnswer(); // a table left under the error would read as this query's answer
        this.showProblem(await this.failure(response, named));
        return;
      }
      const type = response.headers.get("content-type") || "";
      const seconds = () => ((performance.now() - started) / 1000).toFixed(2);
      if (type.includes("n-triples")) {
        const result = fromNTriples(await response.text());
        this.table.show(result, `${result.rows.length} triples`);
        this.say(`${result.rows.length.toLocaleString("en")} triples in ${seconds()} s`);
        return;
      }
      const data = await response.json();
      if ("boolean" in data) {
        const p = document.createElement("p");
        p.className = "answer";
        p.textContent = `Answer: ${data.boolean ? "yes (true)" : "no (false)"}`;
        this.results.replaceChildren(p);
        this.say(`Answer in ${seconds()} s`);
        return;
      }
      const result = named ? fromCompact(data) : fromSparqlJson(data);
      this.table.show(result, named ? this.named.title : "Query results");
      this.say(`${result.rows.length.toLocaleString("en")} rows in ${seconds()} s`);
    } catch (error) {
      this.clearAnswer();
      this.showProblem(`The query could not be sent: ${error.message}`);
    }
  }

  async download() {
    const [key, , mediaType] = this.downloadMenu.find(([k]) => k === this.format.value);
    try {
      const { response, named } = await this.request(mediaType, this.named ? key : null);
      if (!response.ok) {
        this.showProblem(await this.failure(response, named));
        return;
      }
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = `klynge-results.${key}`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      this.say(`Downloaded klynge-results.${key}`);
    } catch (error) {
      this.showProblem(`The download failed: ${error.message}`);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const page = new EditorPage(document.getElementById("editor-app"));
  document.getElementById("run").addEventListener("click", () => page.run());
  document.getElementById("download").addEventListener("click", () => page.download());
  page.start();
});
