"""The examples in the package's docstrings run, so they cannot rot (as oxigraph's ``test_doc.py`` does):
every module of klynge is searched, and each one with examples is a test."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import klynge

MODULES = sorted(info.name for info in pkgutil.walk_packages(klynge.__path__, "klynge."))


def examples(name: str) -> list[doctest.DocTest]:
    return [test for test in doctest.DocTestFinder().find(importlib.import_module(name)) if test.examples]


WITH_EXAMPLES = [name for name in MODULES if examples(name)]


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_the_examples_in_the_docstrings_hold(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in examples(name):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples of {name} fail (pytest -s shows them)"


def test_the_public_helpers_of_the_leaf_package_have_examples() -> None:
    """klynge.rdf is what every stage reads: its helpers say by example what they give."""
    assert {"klynge.rdf.namespaces", "klynge.rdf.formats", "klynge.rdf.sparql_lexer"} <= set(WITH_EXAMPLES)
