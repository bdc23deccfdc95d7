// Where in a SPARQL query the cursor stands: a light tokeniser and a walk over the triple patterns, enough to
// tell subject, predicate and object positions apart and to know which classes a variable was given with `a`.
// It is not a parser: the server's parser decides what is valid; this only guides completion and messages.

const TOKEN = new RegExp(
  [
    String.raw`(?<comment>#[^\n]*)`,
    String.raw`(?<string>"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)`,
    String.raw`(?<iri><[^<>"{}|^\x60\\\s]*>)`,
    String.raw`(?<variable>[?$][\p{L}\p{N}_]+)`,
    String.raw`(?<pname>(?:[\p{L}][\p{L}\p{N}_.-]*)?:(?:[\p{L}\p{N}_:%-]|\.(?=[\p{L}\p{N}_:%-]))*)`,
    String.raw`(?<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)`,
    String.raw`(?<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`,
    String.raw`(?<word>[\p{L}_][\p{L}\p{N}_]*)`,
    String.raw`(?<datatype>\^\^)`,
    String.raw`(?<punct>[{}()\[\].;,])`,
    String.raw`(?<other>\S)`,
  ].join("|"),
  "gu",
);

const TERM_KINDS = new Set(["string", "iri", "variable", "pname", "number"]);
// Keywords that start something other than a triple pattern; after them the walk waits for a new subject.
const GROUP_WORDS = new Set(["OPTIONAL", "MINUS", "UNION", "GRAPH", "SERVICE", "WHERE", "SELECT", "CONSTRUCT",
  "DESCRIBE", "ASK", "DISTINCT", "REDUCED", "FROM", "NAMED", "ORDER", "GROUP", "BY", "HAVING", "LIMIT", "OFFSET",
  "PREFIX", "BASE", "VALUES", "FILTER", "BIND", "AS", "ASC", "DESC", "UNDEF", "NOT", "EXISTS", "IN"]);

export function tokens(text) {
  const out = [];
  for (const match of text.matchAll(TOKEN)) {
    const kind = Object.keys(match.groups).find((name) => match.groups[name] !== undefined);
    if (kind === "comment") continue;
    out.push({ kind, text: match[0], from: match.index, to: match.index + match[0].length });
  }
  return out;
}

// PREFIX declarations as name -> namespace.
export function declaredPrefixes(text) {
  const found = new Map();
  for (const match of text.matchAll(/\bPREFIX\s+([\p{L}][\p{L}\p{N}_.-]*)?:\s*<([^>\s]*)>/giu)) {
    found.set(match[1] || "", match[2]);
  }
  return found;
}

export function expand(term, prefixes) {
  if (term.startsWith("<") && term.endsWith(">")) return term.slice(1, -1);
  const colon = term.indexOf(":");
  if (colon < 0) return null;
  const namespace = prefixes.get(term.slice(0, colon));
  return namespace === undefined ? null : namespace + term.slice(colon + 1);
}

// Walks the tokens before `offset`, tracking per group what the next term would be. Returns the position
// ("subject", "predicate", "object" or "other"), the current subject's text, and the term that was just
// completed in that triple (the predicate, when in object position).
export function walk(allTokens, offset) {
  const stack = [];
  let state = { position: "subject", subject: null, predicate: null };
  let parens = 0;
  let expressionWord = false;
  for (const token of allTokens) {
    if (token.from >= offset) break;
    const upper = token.text.toUpperCase();
    if (parens > 0) {
      if (token.text === "(") parens += 1;
      else if (token.text === ")") parens -= 1;
      continue;
    }
    if (token.text === "(") {
      parens = 1;
      if (expressionWord) state.position = "subject";
      expressionWord = false;
      continue;
    }
    expressionWord = false;
    if (token.text === "{") {
      stack.push(state);
      state = { position: "subject", subject: null, predicate: null };
    } else if (token.text === "}") {
      state = stack.pop() || { position: "other", subject: null, predicate: null };
      state.position = "subject";
    } else if (token.text === "[") {
      stack.push(state);
      state = { position: "predicate", subject: "[]", predicate: null };
    } else if (token.text === "]") {
      const inner = state;
      state = stack.pop() || inner;
      advance(state, inner.subject);
    } else if (token.text === ".") {
      state.position = "subject";
    } else if (token.text === ";") {
      state.position = "predicate";
    } else if (token.text === ",") {
      state.position = "object";
    } else if (token.kind === "word" && GROUP_WORDS.has(upper)) {
      expressionWord = upper === "FILTER" || upper === "BIND" || upper === "HAVING" || upper === "BY";
      state.position = upper === "PREFIX" || upper === "BASE" ? "other" : "subject";
    } else if (TERM_KINDS.has(token.kind) || (token.kind === "word" && upper === "A")) {
      if (state.position !== "other") advance(state, token.text);
    } else if (token.kind === "langtag" || token.kind === "datatype") {
      // part of the literal before it
    } else if (token.kind === "word" && (upper === "TRUE" || upper === "FALSE")) {
      advance(state, token.text);
    }
  }
  return state;
}

function advance(state, text) {
  if (state.position === "subject") {
    state.subject = text;
    state.predicate = null;
    state.position = "predicate";
  } else if (state.position === "predicate") {
    state.predicate = text;
    state.position = "object";
  } else if (state.position === "object") {
    state.position = "after-object";
  }
}

// Every `subject a Class` (or rdf:type) in the query: subject text -> set of class IRIs.
export function statedTypes(allTokens, prefixes) {
  const types = new Map();
  const rdfType = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
  for (let i = 0; i + 1 < allTokens.length; i += 1) {
    const token = allTokens[i];
    const isType = token.text === "a" || expand(token.text, prefixes) === rdfType;
    if (!isType || i === 0) continue;
    const state = walk(allTokens, token.from);
    if (state.position !== "predicate" || !state.subject) continue;
    const iri = expand(allTokens[i + 1].text, prefixes);
    if (!iri) continue;
    if (!types.has(state.subject)) types.set(state.subject, new Set());
    types.get(state.subject).add(iri);
  }
  return types;
}
