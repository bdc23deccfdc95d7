// Completion from /api/editor/vocabulary (the ontology and the shapes, never the store): PREFIX lines for the
// project's namespaces, classes after `a`, properties in predicate position with the ones the SHACL shapes
// allow for the subject's stated class first, and SPARQL keywords. Choosing a prefixed name whose prefix the
// query does not declare adds its PREFIX line at the top.

import { declaredPrefixes, expand, statedTypes, tokens, walk } from "./sparql-context.js";

const KEYWORDS = ("SELECT CONSTRUCT DESCRIBE ASK WHERE FILTER OPTIONAL UNION MINUS GRAPH BIND VALUES PREFIX BASE " +
  "DISTINCT REDUCED ORDER BY ASC DESC LIMIT OFFSET GROUP HAVING AS FROM NAMED NOT EXISTS IN COUNT SUM MIN MAX AVG " +
  "SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI BNODE REGEX REPLACE CONTAINS STRSTARTS " +
  "STRENDS LCASE UCASE YEAR IF COALESCE ISIRI ISLITERAL ISBLANK CONCAT STRLEN").split(" ");

const CLASSES = { name: "Classes", rank: 1 };
const PROPERTIES = { name: "Properties", rank: 1 };

export async function loadVocabulary() {
  const response = await fetch("/api/editor/vocabulary", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`the completion list could not be loaded (${response.status})`);
  const vocabulary = await response.json();
  vocabulary.byIri = new Map();
  for (const term of [...vocabulary.classes, ...vocabulary.properties]) vocabulary.byIri.set(term.iri, term);
  vocabulary.namespaces = new Map(vocabulary.prefixes.map((p) => [p.prefix, p.namespace]));
  return vocabulary;
}

// The PREFIX line to add for `curie`, or null when the query declares it already (or it is unknown).
function missingPrefix(text, curie, vocabulary) {
  const name = curie.slice(0, curie.indexOf(":"));
  if (declaredPrefixes(text).has(name) || !vocabulary.namespaces.has(name)) return null;
  return `PREFIX ${name}: <${vocabulary.namespaces.get(name)}>\n`;
}

// Where a new PREFIX line goes: after the last PREFIX or BASE line at the top, else at the very start.
function prologueEnd(text) {
  let end = 0;
  for (const match of text.matchAll(/^\s*(?:PREFIX|BASE)\b[^\n]*\n/gim)) {
    if (text.slice(end, match.index).trim()) break;
    end = match.index + match[0].length;
  }
  return end;
}

function applyTerm(curie, vocabulary) {
  return (view, completion, from, to) => {
    const text = view.state.doc.toString();
    const line = missingPrefix(text, curie, vocabulary);
    const changes = [{ from, to, insert: curie }];
    let cursor = from + curie.length;
    if (line) {
      const at = prologueEnd(text);
      changes.push({ from: at, insert: line });
      if (at <= from) cursor += line.length;
    }
    view.dispatch({ changes, selection: { anchor: cursor }, userEvent: "input.complete" });
  };
}

function termOption(term, vocabulary, boost, section) {
  return {
    label: term.curie,
    detail: term.label,
    info: term.definition || undefined,
    type: vocabulary.classes.includes(term) ? "class" : "property",
    boost,
    section,
    apply: applyTerm(term.curie, vocabulary),
  };
}

// The properties the shapes allow for what `subject` was stated to be, and the names of those classes.
function shapeProperties(subject, allTokens, prefixes, vocabulary) {
  const classes = statedTypes(allTokens, prefixes).get(subject) || new Set();
  const allowed = new Set();
  const names = [];
  for (const iri of classes) {
    const properties = vocabulary.shapes[iri];
    if (!properties) continue;
    names.push(vocabulary.byIri.get(iri)?.curie || iri);
    for (const property of properties) allowed.add(property);
  }
  return { allowed, names };
}

export function sparqlCompletion(vocabulary) {
  return (context) => {
    const word = context.matchBefore(/[\p{L}_][\p{L}\p{N}_.-]*:?[\p{L}\p{N}_.-]*|:[\p{L}\p{N}_.-]*/u);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    const text = context.state.doc.toString();
    const before = text.slice(0, from);
    if (/\bPREFIX\s+$/i.test(before)) {
      return {
        from,
        options: vocabulary.prefixes.map((p) => ({
          label: `${p.prefix}: <${p.namespace}>`,
          type: "namespace",
          detail: "the project's namespaces",
        })),
      };
    }
    const allTokens = tokens(text);
    const prefixes = new Map([...vocabulary.namespaces, ...declaredPrefixes(text)]);
    const state = walk(allTokens, from);
    const options = [];
    if (state.position === "object" && (state.predicate === "a" || expand(state.predicate || "", prefixes) ===
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")) {
      for (const term of vocabulary.classes) options.push(termOption(term, vocabulary, 10, CLASSES));
      for (const term of vocabulary.properties) options.push(termOption(term, vocabulary, -10, PROPERTIES));
    } else if (state.position === "predicate") {
      const { allowed, names } = shapeProperties(state.subject, allTokens, prefixes, vocabulary);
      const shaped = names.length ? `Allowed for ${names.join(", ")} by the shapes` : null;
      for (const term of vocabulary.properties) {
        const first = allowed.has(term.iri);
        options.push(termOption(term, vocabulary, first ? 20 : 0, first ? { name: shaped, rank: 0 } : PROPERTIES));
      }
      for (const term of vocabulary.classes) options.push(termOption(term, vocabulary, -10, { name: "Classes", rank: 2 }));
    } else {
      for (const term of vocabulary.classes) options.push(termOption(term, vocabulary, 0, CLASSES));
      for (const term of vocabulary.properties) options.push(termOption(term, vocabulary, 0, PROPERTIES));
    }
    if (state.position !== "predicate" && (!word || !word.text.includes(":"))) {
      const section = { name: "Keywords", rank: 9 };
      for (const keyword of KEYWORDS) options.push({ label: keyword, type: "keyword", boost: -5, section });
    }
    return { from, options, validFor: /^[\p{L}\p{N}_.:-]*$/u };
  };
}
