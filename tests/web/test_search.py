"""Search in Danish and English over names, definitions, notes and source locators (issue 21; newcomer S10, C8)."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from klynge.answers.search import fold, search
from klynge.engines.store import EmbeddedEngine
from klynge.engines.text_index import FIELDS, words
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

KID = "https://w3id.org/klynge/id/"
INNOVATIONSKRAFT = KID + "policy/innovationskraft-2021-2024"
DFIR_RECOMMENDATIONS = {KID + f"recommendation/dfir-2024-{n}" for n in range(1, 5)}


class NamesOnly(EmbeddedEngine):
    """An embedded engine without its full-text index, as a remote store is: search runs search.rq."""

    def text_index(self):
        return None


def hits_for(client, text: str, limit: int = 20) -> list[dict]:
    response = client.get("/api/search", params={"q": text, "limit": limit})
    assert response.status_code == 200, response.text
    return response.json()


def iris(hits: list[dict]) -> list[str]:
    return [hit["iri"] for hit in hits]


@pytest.mark.parametrize("text", ["klyngerne", "klynger", "klyngeprogrammer", "Klyngeprogrammet"])
def test_danish_inflections_find_the_cluster_programme(client, text):
    hits = hits_for(client, text)
    assert INNOVATIONSKRAFT in iris(hits)
    hit = next(h for h in hits if h["iri"] == INNOVATIONSKRAFT)
    marked = [hit["passage"][a:b].lower() for a, b in hit["highlights"]]
    assert any(word.startswith("klynge") for word in marked), marked  # the word shown is the one that matched


def test_an_english_inflection_finds_the_stem(client):
    hits = hits_for(client, "clustering", limit=50)
    marked = {h["passage"][a:b].lower() for h in hits for a, b in h["highlights"]}
    assert {"cluster", "clusters"} & marked, marked  # not only the word "clustering" itself
    assert KID + "cluster/energy-cluster-denmark" in iris(hits_for(client, "clustering", limit=100))


@pytest.mark.parametrize("text", ["vaekstforum", "Vækstforum", "VÆKSTFORUM", "vækstforum"])
def test_diacritics_are_optional_and_the_exact_name_comes_first(client, text):
    hits = hits_for(client, text)
    assert hits[0]["iri"] == KID + "org/vaekstforum"
    assert hits[0]["field"] == "name"


def test_energi_finds_the_energy_cluster_through_the_english_stem(client):
    assert KID + "cluster/energy-cluster-denmark" in iris(hits_for(client, "energi"))


@pytest.mark.parametrize("text", ["11.050", "11,050"])
def test_the_figure_as_the_brief_writes_it_finds_the_statistic(client, text):
    hits = hits_for(client, text)
    assert KID + "stat/companies-participating-2021-2023" in iris(hits)
    located = [h for h in hits if h["field"] == "source locator"]
    assert located and all("11.050" in h["passage"] for h in located)  # the locator quotes the brief


def test_recommendation_finds_the_four_dfir_recommendations_with_their_passages(client):
    hits = hits_for(client, "recommendation")
    assert set(iris(hits[:10])) >= DFIR_RECOMMENDATIONS
    for hit in (h for h in hits if h["iri"] in DFIR_RECOMMENDATIONS):
        assert hit["field"] in {"definition", "source locator"}
        assert any(hit["passage"][a:b].lower().startswith("recommend") for a, b in hit["highlights"])


def test_a_word_only_in_a_description_is_found_with_that_field(client):
    # "Purpose: ..." is the programme's description; "productivity" is in no name
    hits = hits_for(client, "productivity competitiveness")
    assert hits and hits[0]["field"] == "description"
    assert "Purpose" in hits[0]["matched"]


def test_a_long_text_is_shown_as_a_window_around_the_match(client):
    (hit, *_) = hits_for(client, "productivity competitiveness")
    assert len(hit["passage"]) < len(hit["matched"])
    assert hit["passage"].endswith("…")
    for start, end in hit["highlights"]:
        assert fold(hit["passage"][start:end]) in {"productivity", "competitiveness"}


@pytest.mark.parametrize(
    "text", ["lægemidler", "livsvidenskab", "anbefaling", "Erhvervsstyrelsen", "Sjælland", "Hovedstaden", "DBA"]
)
def test_danish_words_the_sources_do_not_use_find_nothing_rather_than_something_wrong(client, published_store, text):
    """The two sources are English; they never write these words (nor "DBA"), and the graph invents no
    translation. Should a source-backed Danish name arrive in data/, the second assertion says so."""
    assert hits_for(client, text) == []
    texts = (q.object.value for f in FIELDS for q in published_store.quads_for_pattern(None, f.predicate, None))
    assert not any(fold(text) in {fold(w) for w in words(value)} for value in texts)


def test_every_word_must_match(client):
    both = set(iris(hits_for(client, "energy cluster", limit=100)))
    assert KID + "cluster/energy-cluster-denmark" in both
    assert both <= set(iris(hits_for(client, "energy", limit=100)))


def test_types_are_the_most_specific_and_never_repeat_a_name(client):
    for text in ("vækst", "cluster", "innovation", "recommendation"):
        for hit in hits_for(client, text, limit=50):
            names = [re.split(r"[#/]", kind)[-1] for kind in hit["types"]]
            assert len(names) == len(set(names)), hit
    (forum, *_) = hits_for(client, "vaekstforum")
    assert "http://www.w3.org/ns/org#Organization" in forum["types"]
    assert "http://xmlns.com/foaf/0.1/Organization" not in forum["types"]


def test_search_page_shows_passages_and_no_ranking_jargon(client):
    page = client.get("/search", params={"q": "vækst"}).text
    hits = page.split('<ol class="hits">', 1)[1].split("</ol>", 1)[0]
    assert "prefix" not in hits and "substring" not in hits
    for item in hits.split("<li>")[1:]:
        pills = re.findall(r'<span class="type">([^<]*)</span>', item)
        assert len(pills) == len(set(pills)), item
    page = client.get("/search", params={"q": "recommendation"}).text
    assert "<mark>recommendation</mark>" in page and "Source locator:" in page


def test_search_page_says_why_a_danish_topic_word_may_find_nothing(client):
    page = client.get("/search", params={"q": "lægemidler"}).text
    assert "Nothing matches" in page and "English" in page


def test_bad_search_text_is_a_clear_400(client):
    for text, words_in_message in (("  ", "empty"), ("!!! ---", "no letters"), ("x" * 201, "200")):
        response = client.get("/api/search", params={"q": text})
        assert response.status_code in (400, 422)
        assert words_in_message in response.text
    assert client.get("/search", params={"q": "???"}).status_code == 400
    assert len(hits_for(client, "a", limit=3)) == 3


def test_fts_syntax_in_the_text_is_taken_as_words(client):
    for text in ('"', "NEAR(", "cluster OR", "*", "a:b", "klynge AND NOT"):
        assert client.get("/api/search", params={"q": text}).status_code in (200, 400)


def test_the_index_is_built_when_the_app_is_made_not_at_the_first_search(published_store):
    engine = EmbeddedEngine(published_store, limits=Limits(workers=1))
    try:
        assert engine._text_index is None
        create_app(engine, Settings())
        assert engine._text_index is not None and len(engine._text_index) > 1000
    finally:
        engine.close()


def test_a_store_without_the_index_searches_names_by_sparql(published_store):
    engine = NamesOnly(published_store, limits=Limits(workers=1))
    try:
        (first, *_) = search(engine, "vaekstforum")
        assert (first.iri, first.field) == (KID + "org/vaekstforum", "name")
        (ufm, *_) = search(engine, "UFM")
        assert (ufm.iri, ufm.field) == (KID + "org/ministry-of-higher-education-and-science", "alternative name")
    finally:
        engine.close()


@pytest.mark.parametrize("name", ["Århus  Æble Øst Café", "Vækstforum", "Région Crème Brûlée", "Ångström"])
def test_python_and_sparql_fold_names_alike(name):
    store = ox.Store()
    thing = ox.NamedNode("https://example.org/thing")
    store.add(ox.Quad(thing, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal(name)))
    for engine in (NamesOnly(store, limits=Limits(workers=1)), EmbeddedEngine(store, limits=Limits(workers=1))):
        try:
            (hit,) = search(engine, name)  # search.rq folds the name, search() the text: alike, it matches
        finally:
            engine.close()
        assert (hit.iri, hit.field, hit.matched) == (thing.value, "name", name)


def test_a_word_in_thousands_of_texts_answers_from_the_first_with_the_exact_name_first():
    """Past text_index.RANKED_AT_MOST matching texts, the table's order (weight, then length) ranks."""
    from klynge.engines import text_index

    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    definition = ox.NamedNode("http://www.w3.org/2004/02/skos/core#definition")
    for n in range(text_index.RANKED_AT_MOST + 500):
        thing = ox.NamedNode(f"https://example.org/company/{n:05d}")
        store.add(ox.Quad(thing, label, ox.Literal(f"Synthetic company number {n:05d}", language="en")))
        store.add(ox.Quad(thing, definition, ox.Literal("A company made up for a benchmark.", language="en")))
    store.add(ox.Quad(ox.NamedNode("https://example.org/the"), label, ox.Literal("Company", language="en")))
    index = text_index.build(store)
    matches = index.search("companies", 20)
    assert len(matches) == 20 and len({m.iri for m in matches}) == 20
    assert matches[0].iri == "https://example.org/the"  # stemmed alike, and the whole name
    assert all(m.field == "name" for m in matches)  # a name before a definition
    exact = index.search("company", 20)
    assert exact[0].iri == "https://example.org/the"
