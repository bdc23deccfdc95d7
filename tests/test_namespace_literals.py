"""Namespace IRIs are written once, in ``klynge.rdf.namespaces``: a string in any other module of the package
that holds one (docstrings aside) fails here, unless its module is on the allow-list below with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

import klynge
from klynge.rdf.namespaces import PREFIXES

PACKAGE = Path(klynge.__file__).parent
HOME = "rdf/namespaces.py"
# module (relative to the package) -> why its namespace literals must stay. Empty: every module uses the
# Namespace constants or PREFIXES. An entry needs a reason a reviewer accepts.
ALLOWED: dict[str, str] = {}
NAMESPACES = sorted(set(PREFIXES.values()), key=len, reverse=True)


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (prose may name a namespace)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def literals(path: Path) -> list[str]:
    """Each string constant of a module that holds a namespace IRI, as ``line: namespace``."""
    tree = ast.parse(path.read_text(), str(path))
    prose = docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            hits += [f"{node.lineno}: {ns}" for ns in NAMESPACES if ns in node.value][:1]
    return hits


def modules() -> dict[str, Path]:
    return {path.relative_to(PACKAGE).as_posix(): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_no_namespace_literal_outside_the_namespaces_module():
    offenders = {
        name: found
        for name, path in modules().items()
        if name != HOME and name not in ALLOWED and (found := literals(path))
    }
    assert offenders == {}, f"use klynge.rdf.namespaces instead of these literals: {offenders}"


def test_the_check_finds_a_literal(tmp_path):
    """The scan sees an IRI in a constant and in an f-string, and not in a docstring."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Prose may name http://www.w3.org/ns/org# freely."""\n'
        'A = "http://www.w3.org/ns/org#Organization"\n'
        'B = f"<{A}> <http://purl.org/dc/terms/title>"\n'
    )
    assert literals(sample) == ["2: http://www.w3.org/ns/org#", "3: http://purl.org/dc/terms/"]


def test_every_allowed_module_exists_and_still_needs_its_place():  # guards the list once it has an entry
    """An allow-list entry goes once its module is clean (or gone), so the list only shrinks."""
    present = modules()
    stale = [name for name in ALLOWED if name not in present or not literals(present[name])]
    assert stale == []
