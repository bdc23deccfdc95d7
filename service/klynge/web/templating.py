"""The Jinja environment every page shares, with the filters that turn RDF terms into links.

An IRI under the configured base (``https://w3id.org/klynge/`` unless a deployment says otherwise) is served
by this service under the same path, so a page links it to that path; any other IRI links out unchanged.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape

from klynge.answers.describe import spelled_out
from klynge.web.dependencies import settings_of

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))


def base_iri(request: Request) -> str:
    """The IRI prefix this service answers for (from the app's settings)."""
    return settings_of(request).base_iri


def local_path(iri: str, base: str) -> str:
    """Where this service serves an IRI: its path under the base, or the IRI itself when outside it."""
    if iri.startswith(base):
        return "/" + iri[len(base) :]
    return iri


def picture_link(iri: str, base: str) -> str:
    """Where a box of a picture (Graphviz ``URL=``) may link: the IRI's path here, the IRI itself when it is
    an http(s) one elsewhere, else '' (no link: a ``javascript:`` or ``data:`` IRI from the data is never one)."""
    path = local_path(iri, base)
    return path if path.startswith("/") or urlsplit(path).scheme.lower() in ("http", "https") else ""


def short_name(iri: str) -> str:
    """The last segment of an IRI (two where the last is a bare version number), standing in for a label."""
    trimmed = iri.rstrip("/#")
    if "#" in trimmed:
        return trimmed.rsplit("#", 1)[-1] or iri
    segments = trimmed.split("/")
    last = segments[-1]
    if not any(c.isalpha() for c in last) and len(segments) > 3:
        last = "/".join(segments[-2:])
    return last or iri


@pass_context
def href(context: dict, term: ox.Term | str) -> str:
    """The link target for an IRI (or a NamedNode) on a page rendered for ``context['request']``."""
    iri = term.value if isinstance(term, ox.NamedNode) else str(term)
    return local_path(iri, base_iri(context["request"]))


def literal_note(term: ox.Literal) -> str:
    """The language tag or the datatype's short name shown next to a literal."""
    if term.language:
        return term.language
    datatype = term.datatype.value
    return "" if datatype.endswith("#string") else short_name(datatype)


def marked(passage: str, highlights: list[tuple[int, int]]) -> Markup:
    """A search hit's passage, escaped, with its matching words in <mark>."""
    parts, at = [], 0
    for start, end in sorted(highlights):
        if start >= at:
            parts += [escape(passage[at:start]), Markup("<mark>"), escape(passage[start:end]), Markup("</mark>")]
            at = end
    parts.append(escape(passage[at:]))
    return Markup("").join(parts)


templates.env.filters["href"] = href
templates.env.filters["grouped"] = "{:,}".format  # 810,000 resources, page 1 of 16,200: digits in groups of three
templates.env.filters["marked"] = marked
templates.env.filters["iri"] = ox.NamedNode  # an answer's IRI string as a term, for the term() macro
templates.env.filters["short_name"] = short_name
templates.env.filters["spelled_out"] = spelled_out
templates.env.filters["literal_note"] = literal_note
templates.env.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
templates.env.tests["literal"] = lambda term: isinstance(term, ox.Literal)


def public_url(request: Request) -> str:
    """The URL this service is reached at: the configured public base, else the address it listens on.
    Never the request's Host header, which a client chooses: copied into links, it would let anyone make
    the service's pages and descriptions point elsewhere (and poison a shared cache)."""
    settings = settings_of(request)
    return (settings.public_base_url or settings.listen_url).rstrip("/")
