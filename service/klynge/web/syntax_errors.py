"""The SPARQL parser's complaints in words a researcher reads: one explainer for ``/sparql`` (so SPARQLWrapper's
``QueryBadFormed`` and every other client show it) and for the query editor, which shows the sentence the
endpoint sends and marks the position it names.

pyoxigraph says ``expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' | '\\u{00B7}' …`` (600 characters
of grammar) where a person wants "the prefix klynge: is not declared; add PREFIX klynge: <…>". The parser's list
names grammar tokens; the ones that mean nothing to a reader (character classes) or that this endpoint refuses
(SERVICE) are left out, and where nothing useful is left the sentence says what the triple pattern at that point
still needs. A light tokeniser and walk over the triple patterns (not a parser: pyoxigraph decides what is
valid) tell subject, predicate and object positions apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from klynge.rdf.namespaces import PREFIXES

WORDS = {
    "}": 'a closing brace "}"',
    "{": 'an opening brace "{"',
    ".": 'a full stop "." to end the triple',
    ";": '";" to give the same subject another property',
    ",": '"," to give the same property another value',
    ")": 'a closing bracket ")"',
    "(": 'an opening bracket "("',
    "]": 'a closing square bracket "]"',
    "*": '"*" or a variable',
    "=": '"="',
    '"': "the closing quote of the string",
    "'": "the closing quote of the string",
    "{|": None,
    "~": None,
    "|}": None,
}
REFUSED = {"SERVICE", "LATERAL", "LOAD"}
MAX_LISTED = 4
INCOMPLETE = {"predicate", "object"}
QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
POSITION_NEEDS = {
    "subject": 'a subject (a variable, an IRI or a prefixed name) to start a triple, or a closing brace "}"',
    "predicate": 'a property (a variable, an IRI, a prefixed name or "a")',
    "object": 'a value for the property (a variable, an IRI, a prefixed name or a literal such as "text"@en or 2020)',
    "after-object": 'a full stop ".", ";" or "," after the triple, or a closing brace "}"',
}

TOKEN = re.compile(
    "|".join(
        [
            r"(?P<comment>#[^\n]*)",
            r"(?P<string>\"\"\"[\s\S]*?(?:\"\"\"|$)|'''[\s\S]*?(?:'''|$)|\"(?:[^\"\\\n]|\\.)*\"?|'(?:[^'\\\n]|\\.)*'?)",
            r"(?P<iri><[^<>\"{}|^`\\\s]*>)",
            r"(?P<variable>[?$]\w+)",
            r"(?P<pname>(?:[^\W\d_][\w.-]*)?:(?:[\w:%-]|\.(?=[\w:%-]))*)",
            r"(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",
            r"(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)",
            r"(?P<word>[^\W\d]\w*)",
            r"(?P<datatype>\^\^)",
            r"(?P<punct>[{}()\[\].;,])",
            r"(?P<other>\S)",
        ]
    )
)
TERM_KINDS = {"string", "iri", "variable", "pname", "number"}
# Keywords that start something other than a triple pattern; after them the walk waits for a new subject.
GROUP_WORDS = {
    *("OPTIONAL", "MINUS", "UNION", "GRAPH", "SERVICE", "WHERE", "SELECT", "CONSTRUCT", "DESCRIBE", "ASK"),
    *("DISTINCT", "REDUCED", "FROM", "NAMED", "ORDER", "GROUP", "BY", "HAVING", "LIMIT", "OFFSET", "PREFIX"),
    *("BASE", "VALUES", "FILTER", "BIND", "AS", "ASC", "DESC", "UNDEF", "NOT", "EXISTS", "IN"),
}
DECLARED = re.compile(r"\bPREFIX\s+([^\W\d_][\w.-]*)?:\s*<([^>\s]*)>", re.IGNORECASE)
USED = re.compile(r"(?:^|[\s(,;{/^|!])([^\W\d_][\w.-]*)?:(?!//)")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class Place:
    """Where a walk over triple patterns stands: which term comes next."""

    position: str = "subject"
    subject: str | None = None


def tokens(text: str) -> list[Token]:
    """The query's tokens, comments left out."""
    found = (Token(m.lastgroup or "other", m.group(), m.start(), m.end()) for m in TOKEN.finditer(text))
    return [token for token in found if token.kind != "comment"]


def advance(place: Place, text: str) -> None:
    """A term was read: the next position in the triple."""
    if place.position == "subject":
        place.subject, place.position = text, "predicate"
    elif place.position == "predicate":
        place.position = "object"
    elif place.position == "object":
        place.position = "after-object"


def walk(all_tokens: list[Token], offset: int) -> Place:
    """The position (subject, predicate, object, after-object or other) reached by the tokens before ``offset``."""
    stack: list[Place] = []
    place = Place()
    parens = 0
    expression_word = False
    for token in all_tokens:
        if token.start >= offset:
            break
        upper = token.text.upper()
        if parens:
            parens += {"(": 1, ")": -1}.get(token.text, 0)
            continue
        if token.text == "(":
            parens = 1
            if expression_word:
                place.position = "subject"
            expression_word = False
            continue
        expression_word = False
        if token.text == "{":
            stack.append(place)
            place = Place()
        elif token.text == "}":
            place = stack.pop() if stack else Place("other")
            place.position = "subject"
        elif token.text == "[":
            stack.append(place)
            place = Place("predicate", "[]")
        elif token.text == "]":
            inner = place
            place = stack.pop() if stack else inner
            advance(place, inner.subject or "[]")
        elif token.text in ".;,":
            place.position = {".": "subject", ";": "predicate", ",": "object"}[token.text]
        elif token.kind == "word" and upper in GROUP_WORDS:
            expression_word = upper in ("FILTER", "BIND", "HAVING", "BY")
            place.position = "other" if upper in ("PREFIX", "BASE") else "subject"
        elif place.position != "other" and (
            token.kind in TERM_KINDS or (token.kind == "word" and upper in ("A", "TRUE", "FALSE"))
        ):
            advance(place, token.text)
    return place


def split_expected(listed: str) -> list[str]:
    """The parser's comma-separated list of what it expected, keeping commas inside [...] and quotes."""
    items, depth, current, quoted = [], 0, "", False
    for index, char in enumerate(listed):
        if char == '"' and (index == 0 or listed[index - 1] != "\\"):
            quoted = not quoted
        if not quoted and char == "[":
            depth += 1
        if not quoted and char == "]":
            depth -= 1
        if not quoted and depth == 0 and char == ",":
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return items


def describe(item: str) -> str | None:
    """One expected grammar item in words, or None where it says nothing to a reader."""
    if item.startswith("["):
        return None  # a character class or "any character"
    quoted = re.fullmatch(r'"(.*)"', item, flags=re.S)
    if quoted:
        token = re.sub(r"\\(.)", r"\1", quoted.group(1))
        if token in WORDS:
            return WORDS[token]
        return "the closing quote of the string" if token.startswith("\\") else f'"{token}"'
    if item.upper() in REFUSED:
        return None
    if re.fullmatch(r"IRI parsing failed", item, flags=re.I):
        return "a full IRI (this endpoint has no base for relative ones)"
    if item.upper() in QUERY_FORMS:
        return "a query form: SELECT, CONSTRUCT, ASK or DESCRIBE (after any PREFIX lines)"
    if re.fullmatch(r"[A-Z_]+", item):
        return f"the keyword {item}"
    return None


def listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def offset_of(text: str, line: int, column: int) -> int:
    """The offset in ``text`` of a 1-based line and column (clamped to the text)."""
    offset = 0
    for _ in range(1, line):
        following = text.find("\n", offset)
        if following < 0:
            return len(text)
        offset = following + 1
    return min(len(text), offset + max(0, column - 1))


def undeclared_prefix(query: str) -> str | None:
    """The first prefix the query uses without declaring it."""
    declared = {match.group(1) or "" for match in DECLARED.finditer(query)}
    used = (match.group(1) or "" for match in USED.finditer(query))
    return next((name for name in used if name not in declared), None)


def explain(message: str, line: int, column: int, query: str) -> str:
    """``Line L, column C: <what is wrong, and how to fix it>.`` for the parser's ``message`` at ``line:column``."""
    where = f"Line {line}, column {column}"
    if re.search("prefix not found", message, flags=re.I):
        name = undeclared_prefix(query)
        if name is not None:
            known = PREFIXES.get(name)
            fix = (
                f"Add the line PREFIX {name}: <{known}> at the top"
                if known
                else (f"Declare it with PREFIX {name}: <...>")
            )
            return f'{where}: the prefix "{name}:" is not declared. {fix}.'
    if not message.startswith("expected"):
        return f"{where}: {message}"  # our own check's sentence (nesting too deep), or a message said plainly
    expected = split_expected(re.sub(r"^expected (one of )?", "", message))
    words = list(dict.fromkeys(word for word in map(describe, expected) if word))
    start = offset_of(query, line, column)
    # The parser may point past the end or at spaces after the culprit: the last character before them.
    while start > 0 and (start >= len(query) or query[start].isspace()):
        start -= 1
    # What the triple pattern still needs where the parser stopped; when that is just after a closing "}" or
    # ".", the triple before it is the incomplete one.
    all_tokens = tokens(query)
    last = next((token for token in reversed(all_tokens) if token.start <= start), None)
    place, before = walk(all_tokens, start + 1), ""
    if last is not None and last.text in "}.;,":
        earlier = walk(all_tokens, last.start)
        if earlier.position in INCOMPLETE:
            place, before = earlier, f' before "{last.text}"'
    # An incomplete triple is said by what it lacks (the parser's list there is its grammar's every option);
    # otherwise a short list of what the parser expected reads well.
    if place.position not in INCOMPLETE and words and len(words) <= MAX_LISTED:
        return f"{where}: expected {listing(words)}."
    return f"{where}: expected {POSITION_NEEDS.get(place.position, 'something else here')}{before}."
