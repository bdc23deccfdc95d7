"""The kinds of page the service serves: one table, read by the routes (their paths), by ``klynge publish``
(which document paths the static site carries), by the accessibility tests (a page of each kind in a real
browser) and by ``bench/pages.py`` (each kind timed at scale). A new page kind is one entry here, beside its
route, template and answer.

The static site carries the documents of the graph (a resource, a named graph, the ontology, the shapes, the
dataset): the pages that answer a question asked at the time (search, the editor, browsing, a year's view, the
timeline) need the service, so their ``published`` is None and the static pages link them at ``--service-url``.

>>> RESOURCE.route, RESOURCE.published
('/id/{path:path}', 'id/.*[^/]')
>>> import re
>>> bool(re.fullmatch(DOCUMENT_PATHS, "ontology/0.1.0")), bool(re.fullmatch(DOCUMENT_PATHS, "timeline"))
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

IK = "policy/innovationskraft-2021-2024"
SYNTH = "synth/dk/"  # the synthetic EU27 graph's Danish resources (klynge synth), for the figures at scale


@dataclass(frozen=True)
class Example:
    """A page of a kind: what it shows, its path (and query), and the status it answers with."""

    what: str
    path: str
    status: int = 200


@dataclass(frozen=True)
class PageKind:
    """One kind of page. ``route`` is its path as the router declares it; ``published`` the pattern (under the
    base IRI) of the documents the static site writes for it, None when only the service answers it;
    ``examples`` pages of the kind in the repository's graph (each checked in a browser); ``at_scale`` the
    pages timed on the synthetic EU27 store, the kind's JSON twin included."""

    name: str
    route: str
    published: str | None = None
    examples: tuple[Example, ...] = ()
    at_scale: tuple[tuple[str, str], ...] = ()


HOME = PageKind("home", "/", examples=(Example("home", "/"),))
EDITOR = PageKind("editor", "/query", examples=(Example("editor", "/query"),))
SEARCH = PageKind(
    "search",
    "/search",
    examples=(
        Example("search results", "/search?q=vaekstforum"),
        Example("search with nothing found", "/search?q=zzzzqqq"),
        Example("search error", "/search?q=" + "x" * 201, 400),
    ),
    at_scale=(
        ("/api/search vaekstforum", "/api/search?q=vaekstforum"),
        ("/api/search innovation", "/api/search?q=innovation"),
        ("/api/search cluster (thousands of hits)", "/api/search?q=cluster"),
    ),
)
RESOURCE = PageKind(
    "resource",
    "/id/{path:path}",
    published="id/.*[^/]",
    examples=(
        Example("policy page", f"/id/{IK}"),
        Example("organisation page", "/id/org/danish-business-authority"),
        Example("resource not found", "/id/policy/no-such-policy", 404),
    ),
    at_scale=(
        ("policy page (Innovationskraft)", f"/id/{IK}"),
        ("organisation page (Danish Business Authority)", "/id/org/danish-business-authority"),
        ("organisation page (ministry)", "/id/org/ministry-of-higher-education-and-science"),
        ("cluster page", "/id/cluster/censec"),
        ("business area page", "/id/area/digital-technologies"),
        ("NACE division page", "/id/nace/C21"),
        ("source document page (every real fact cites it)", "/id/source/eccp-factsheet-denmark"),
        ("synthetic source page (1.2 M resources cite it at EU27)", "/id/synth/source"),
        ("synthetic plan page (with lineage)", f"/id/{SYNTH}policy/plan-07"),
        ("synthetic body page (with lineage)", f"/id/{SYNTH}org/ministry"),
        ("synthetic cluster page (200 activities)", f"/id/{SYNTH}cluster/cluster-03"),
        ("synthetic region page (2,200 companies)", f"/id/{SYNTH}region/DK01"),
        ("synthetic company page", f"/id/{SYNTH}company/00042"),
        ("synthetic participation page", f"/id/{SYNTH}participation/01234"),
        ("scheme page (NUTS-2)", "/id/scheme/nuts-2"),
        ("Innovationskraft as Turtle", f"/id/{IK}?format=ttl"),
        ("/api/lineage Innovationskraft", f"/api/lineage/{IK}"),
        ("/api/lineage Innovationskraft, stated only", f"/api/lineage/{IK}?evidence=stated"),
        ("/api/lineage synthetic plan", f"/api/lineage/{SYNTH}policy/plan-07"),
        ("/api/path Innovationskraft to DFIR", f"/api/path?from={IK}&to=org/dfir"),
        (
            "/api/path 1990s to 2025",
            "/api/path?from=policy/research-business-cofinancing-1990s&to=policy/cluster-programme-2025",
        ),
        ("/api/path synthetic plan to cluster", f"/api/path?from={SYNTH}policy/plan-00&to={SYNTH}cluster/cluster-05"),
    ),
)
ONTOLOGY = PageKind("ontology", "/ontology", published="ontology", examples=(Example("ontology", "/ontology"),))
ONTOLOGY_VERSION = PageKind("ontology version", "/ontology/{version}", published="ontology/[^/]+")
SHAPES = PageKind("shapes", "/shapes", published="shapes", examples=(Example("shapes", "/shapes"),))
NAMED_GRAPH = PageKind(
    "named graph", "/graph/{name}", published="graph/.*[^/]", examples=(Example("named graph", "/graph/funding"),)
)
DATASET = PageKind("dataset", "/dataset", published="dataset", examples=(Example("dataset", "/dataset"),))
AS_OF = PageKind(
    "as of a year",
    "/as-of/{year}",
    examples=(
        Example("as of a year", "/as-of/2020"),
        Example("as of a year with little", "/as-of/1998"),
        Example("bad address", "/as-of/abc", 422),
    ),
    at_scale=(("/as-of/2022 page", "/as-of/2022"), ("/api/as-of/2025", "/api/as-of/2025")),
)
TIMELINE = PageKind("timeline", "/timeline", examples=(Example("timeline", "/timeline"),))
BROWSE = PageKind("browse", "/browse")
BROWSE_CLASS = PageKind("browse a class", "/browse/{key}")
PROGRAMME_OF = PageKind("a cluster's programme", "/programme-of/{cluster:path}")
API_DOCS = PageKind("API docs", "/docs", examples=(Example("API docs", "/docs"),))

PAGE_KINDS = (
    HOME,
    EDITOR,
    RESOURCE,
    ONTOLOGY,
    ONTOLOGY_VERSION,
    SHAPES,
    NAMED_GRAPH,
    DATASET,
    SEARCH,
    AS_OF,
    TIMELINE,
    BROWSE,
    BROWSE_CLASS,
    PROGRAMME_OF,
    API_DOCS,
)
# The document paths under the base the static site writes, and its rewrite rules negotiate: one pattern.
DOCUMENT_PATHS = "|".join(kind.published for kind in PAGE_KINDS if kind.published)
# The documents every publication holds whatever the graph mentions: the published kinds without a parameter.
FIXED_DOCUMENTS = frozenset(kind.route.lstrip("/") for kind in PAGE_KINDS if kind.published and "{" not in kind.route)
