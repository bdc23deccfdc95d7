// The endpoint's parse errors ("Malformed query: line 1, column 25: expected one of LATERAL, SERVICE, [_]") in
// words a researcher reads, with the position to mark. The parser's list names grammar tokens; the ones that
// mean nothing to a reader (character classes, whitespace) or that this endpoint refuses (SERVICE) are left out,
// and where nothing useful is left the message says what the triple pattern at that point still needs.

import { declaredPrefixes, tokens, walk } from "./sparql-context.js";

const WORDS = {
  "}": "a closing brace “}”",
  "{": "an opening brace “{”",
  ".": "a full stop “.” to end the triple",
  ";": "“;” to give the same subject another property",
  ",": "“,” to give the same property another value",
  ")": "a closing bracket “)”",
  "(": "an opening bracket “(”",
  "]": "a closing square bracket “]”",
  "*": "“*” or a variable",
  "=": "“=”",
  "\"": "the closing quote of the string",
  "'": "the closing quote of the string",
  "{|": null,
  "~": null,
  "|}": null,
};
const REFUSED = new Set(["SERVICE", "LATERAL", "LOAD"]);
const MAX_LISTED = 4;
const INCOMPLETE = new Set(["predicate", "object"]);
const QUERY_FORMS = new Set(["SELECT", "CONSTRUCT", "DESCRIBE", "ASK"]);
const POSITION_NEEDS = {
  subject: "a subject (a variable, an IRI or a prefixed name) to start a triple, or a closing brace “}”",
  predicate: "a property (a variable, an IRI, a prefixed name or “a”)",
  object: "a value for the property (a variable, an IRI, a prefixed name or a literal such as \"text\"@en or 2020)",
  "after-object": "a full stop “.”, “;” or “,” after the triple, or a closing brace “}”",
};

function splitExpected(list) {
  const items = [];
  let depth = 0;
  let current = "";
  let quoted = false;
  for (let i = 0; i < list.length; i += 1) {
    const ch = list[i];
    if (ch === "\"" && list[i - 1] !== "\\") quoted = !quoted;
    if (!quoted && ch === "[") depth += 1;
    if (!quoted && ch === "]") depth -= 1;
    if (!quoted && depth === 0 && ch === ",") {
      items.push(current.trim());
      current = "";
    } else {
      current += ch;
    }
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

function describe(item) {
  if (item.startsWith("[")) return null; // a character class or "any character": no reader says that
  const quoted = item.match(/^"(.*)"$/s);
  if (quoted) {
    const token = quoted[1].replace(/\\(.)/g, "$1");
    if (token in WORDS) return WORDS[token];
    if (token.startsWith("\\")) return "the closing quote of the string";
    return `“${token}”`;
  }
  if (REFUSED.has(item.toUpperCase())) return null;
  if (/^IRI parsing failed$/i.test(item)) return "a full IRI (this endpoint has no base for relative ones)";
  if (QUERY_FORMS.has(item.toUpperCase())) return "a query form: SELECT, CONSTRUCT, ASK or DESCRIBE (after any PREFIX lines)";
  if (/^[A-Z_]+$/.test(item)) return `the keyword ${item}`;
  return null;
}

function listing(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

// Offset in `text` of 1-based line and column (clamped to the text).
export function offsetOf(text, line, column) {
  let offset = 0;
  for (let i = 1; i < line; i += 1) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

// {line, column, from, to, message} for a 400 body from /sparql, or null when it is not a parse error.
export function explain(body, text, namespaces) {
  const match = body.match(/line (\d+), column (\d+): ([\s\S]*)$/);
  if (!match) return null;
  const line = Number(match[1]);
  const column = Number(match[2]);
  const raw = match[3].trim();
  let from = offsetOf(text, line, column);
  // The parser may point past the end or at spaces after the culprit: mark the last character before them.
  while (from > 0 && (from >= text.length || /\s/.test(text[from]))) from -= 1;
  let to = Math.min(text.length, from + 1);
  const where = `Line ${line}, column ${column}`;
  const missing = raw.match(/Prefix not found|prefix not found/);
  if (missing) {
    const used = [...text.matchAll(/(?:^|[\s(,;{/^|!])([\p{L}][\p{L}\p{N}_.-]*)?:(?!\/\/)/gu)].map((m) => m[1] || "");
    const declared = declaredPrefixes(text);
    const name = used.find((prefix) => !declared.has(prefix));
    if (name !== undefined) {
      const known = namespaces.get(name);
      const fix = known ? ` Add the line PREFIX ${name}: <${known}> at the top, or complete the name with Ctrl+Space,`
        + " which adds it." : ` Declare it with PREFIX ${name}: <…> at the top.`;
      return { line, column, from, to, message: `${where}: the prefix “${name}:” is not declared.${fix}` };
    }
  }
  const expected = raw.replace(/^expected (one of )?/, "");
  const words = [...new Set(splitExpected(expected).map(describe).filter(Boolean))];
  // What the triple pattern still needs where the parser stopped; when that is just after a closing "}" or
  // ".", the triple before it is the incomplete one.
  const all = tokens(text);
  const last = all.filter((t) => t.from <= from).at(-1);
  let state = walk(all, from + 1);
  let place = "";
  if (last && /^[}.;,]$/.test(last.text)) {
    const earlier = walk(all, last.from);
    if (INCOMPLETE.has(earlier.position)) {
      state = earlier;
      place = ` before “${last.text}”`;
      [from, to] = [last.from, last.to];
    }
  }
  // An incomplete triple is said by what it lacks (the parser's list there is its grammar's every option);
  // otherwise a short list of what the parser expected reads well.
  let message;
  if (!INCOMPLETE.has(state.position) && words.length && words.length <= MAX_LISTED) {
    message = `${where}: expected ${listing(words)}.`;
  } else {
    message = `${where}: expected ${POSITION_NEEDS[state.position] || "something else here"}${place}.`;
  }
  return { line, column, from, to, message };
}
