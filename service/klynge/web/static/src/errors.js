// A parse error from /sparql ("Malformed query: Line 1, column 25: expected …") marked in the editor. The
// sentence is the endpoint's own (klynge.web.syntax_errors explains the parser's complaint for every client,
// SPARQLWrapper's QueryBadFormed included); here it only gets its place in the text and, for an undeclared
// prefix the editor knows, the completion that adds the PREFIX line.

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

// {line, column, from, to, message} for a 400 body from /sparql, or null when it names no position.
export function explain(body) {
  const match = body.match(/Line (\d+), column (\d+): ([\s\S]*)$/);
  if (!match) return null;
  return { line: Number(match[1]), column: Number(match[2]), sentence: match[3].trim(), message: match[0].trim() };
}

// The range to mark for an explained error in `text`: the character the parser stopped at (the last one before
// trailing spaces), or the token the sentence says the triple is incomplete before.
export function markRange(parsed, text) {
  let from = offsetOf(text, parsed.line, parsed.column);
  while (from > 0 && (from >= text.length || /\s/.test(text[from]))) from -= 1;
  const before = parsed.sentence.match(/ before "(.)"\.$/);
  if (before) {
    const at = text.lastIndexOf(before[1], from);
    if (at >= 0) from = at;
  }
  return { from, to: Math.min(text.length, from + 1) };
}

// The sentence, with the editor's own way to fix an undeclared prefix it knows.
export function withEditorHint(parsed) {
  if (/is not declared\. Add the line PREFIX/.test(parsed.sentence)) {
    return `${parsed.message.replace(/\.$/, "")}, or complete the name with Ctrl+Space, which adds it.`;
  }
  return parsed.message;
}
