"""What the SPARQL editor completes, read from the ontology and the shapes (never from the served store).

``GET /api/editor/vocabulary`` answers one small JSON document, built once per process:

* ``prefixes``: the project's namespaces, so a prefixed name can be completed and its PREFIX line added;
* ``classes`` and ``properties``: every term the ontology declares, with its English label and definition;
* ``shapes``: for each class, the properties the SHACL shapes allow for its instances (shapes targeting the class
  or one of its superclasses), so after ``?x a klynge:ClusterOrganisation ;`` those come first.

The store may be remote or large; the ontology and shapes files are small and say what a query can ask.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request

from klynge.catalogue import internal
from klynge.rdf.namespaces import PREFIXES, curie
from klynge.resources import asset_files
from klynge.web.templating import base_iri

router = APIRouter(tags=["editor"])

# The ontology and shapes are read through SPARQL (sparql/editor-*.rq) over a throwaway in-memory store.


def local_name(iri: str) -> str:
    """The end of an IRI, standing in for a label the ontology does not give."""
    return iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]


def read_store(paths: list[Path]) -> ox.Store:
    """The files' triples in one in-memory store."""
    store = ox.Store()
    for path in paths:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def terms(store: ox.Store) -> dict[str, list[dict[str, str]]]:
    """The declared classes and properties, each with its prefixed name, label and definition."""
    found: dict[str, list[dict[str, str]]] = {"class": [], "property": []}
    for row in store.query(internal("editor-terms").sparql):
        iri = row["term"].value
        label = row["name"].value if row["name"] else local_name(iri)
        entry = {"iri": iri, "curie": curie(iri), "label": label}
        if row["meaning"]:
            entry["definition"] = row["meaning"].value
        found[row["kind"].value].append(entry)
    for entries in found.values():
        entries.sort(key=lambda entry: entry["curie"])
    return found


def shape_properties(store: ox.Store) -> dict[str, list[str]]:
    """For each class (by IRI), the properties its instances may have by the shapes, sorted."""
    allowed: dict[str, set[str]] = {}
    for row in store.query(internal("editor-shape-paths").sparql):
        allowed.setdefault(row["class"].value, set()).add(row["property"].value)
    return {cls: sorted(properties) for cls, properties in sorted(allowed.items())}


@cache
def vocabulary() -> dict[str, object]:
    """The editor's completion data, from the ontology and the shapes files (read once)."""
    store = read_store(asset_files("ontology") + asset_files("shapes"))
    declared = terms(store)
    return {
        "prefixes": [{"prefix": name, "namespace": namespace} for name, namespace in PREFIXES.items()],
        "classes": declared["class"],
        "properties": declared["property"],
        "shapes": shape_properties(store),
    }


@router.get("/api/editor/vocabulary", summary="What the SPARQL editor completes")
def editor_vocabulary(request: Request) -> dict[str, object]:
    """The project's prefixes, the ontology's classes and properties with labels, and per class the
    properties its SHACL shapes allow; read from the ontology and shapes, not from the store. ``kid:`` is
    this service's resource namespace (its configured base IRI)."""
    answer = vocabulary()
    resources = base_iri(request) + "id/"
    prefixes = [p if p["prefix"] != "kid" else {"prefix": "kid", "namespace": resources} for p in answer["prefixes"]]
    return {**answer, "prefixes": prefixes}
