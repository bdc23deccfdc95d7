"""The programme a cluster organisation was appointed under, as the ECCP could cite it.

The answer is the named query ``cluster-programme`` (``queries/cluster-programme.rq``): a graph holding the
programme's stable IRI, the appointing post, its body and the day, the programme's lineage with the evidence of
each step, and the sources. JSON-LD and Turtle are that graph; the page reads the same triples, so the two
cannot say different things.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from klynge.answers.describe import spelled_out
from klynge.catalogue import catalogue
from klynge.engines.base import Engine
from klynge.rdf.namespaces import DCTERMS, KLYNGE, ORG, PROV, RDFS, SCHEMA, SKOS

EVIDENCE = {KLYNGE.Stated.value: "stated", KLYNGE.Inferred.value: "inferred"}


class NotAppointed(LookupError):
    """The resource is no cluster organisation appointed under a programme."""


@dataclass(frozen=True)
class Named:
    """A resource with its label."""

    iri: str
    label: str | None


@dataclass(frozen=True)
class Step:
    """One lineage step between two plans, with its evidence where the graph qualifies it."""

    later: Named
    earlier: Named
    relation: str
    evidence: str | None
    sources: list[Named]
    locator: str | None
    note: str | None


@dataclass
class ClusterProgramme:
    """What the page shows; ``triples`` is the whole answer as the named query gives it."""

    cluster: Named
    programme: Named
    period: str
    appointer: Named | None
    body: Named | None
    appointed_on: str | None
    sources: list[Named]
    steps: list[Step]
    triples: list[ox.Triple] = field(repr=False)


class Facts:
    """The answer's triples by subject and predicate."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.by: dict[str, dict[str, list[ox.Term]]] = defaultdict(lambda: defaultdict(list))
        for triple in triples:
            self.by[triple.subject.value][triple.predicate.value].append(triple.object)

    def all(self, subject: str, predicate: ox.NamedNode) -> list[ox.Term]:
        return sorted(self.by.get(subject, {}).get(predicate.value, []), key=str)

    def one(self, subject: str, predicate: ox.NamedNode) -> str | None:
        values = self.all(subject, predicate)
        return values[0].value if values else None

    def named(self, iri: str) -> Named:
        """The resource with its English label (else any label, else the title)."""
        labels = self.all(iri, RDFS.label)
        english = [label for label in labels if isinstance(label, ox.Literal) and label.language == "en"]
        chosen = (english or labels or self.all(iri, DCTERMS.title) or [None])[0]
        return Named(iri, chosen.value if chosen is not None else None)


def cluster_programme(engine: Engine, cluster: ox.NamedNode) -> ClusterProgramme:
    """The named query's answer for the cluster, read into what the page shows."""
    query = catalogue()["cluster-programme"]
    triples = engine.construct(query.sparql, query.bind(cluster=cluster))
    facts = Facts(triples)
    programme = facts.one(cluster.value, KLYNGE.appointedUnder)
    if programme is None:
        raise NotAppointed(f"{cluster.value} is no cluster organisation appointed under a programme")
    appointer = facts.one(cluster.value, KLYNGE.appointedBy)
    body = facts.one(appointer, ORG.postIn) if appointer else None
    start, end = facts.one(programme, SCHEMA.startDate), facts.one(programme, SCHEMA.endDate)
    steps = []
    for later, predicates in facts.by.items():
        for influence in predicates.get(PROV.qualifiedInfluence.value, []):
            earlier = facts.one(influence.value, PROV.influencer)
            relation = facts.one(influence.value, KLYNGE.relation) or PROV.wasInfluencedBy.value
            steps.append(
                Step(
                    later=facts.named(later),
                    earlier=facts.named(earlier),
                    relation=spelled_out(relation),
                    evidence=EVIDENCE.get(facts.one(influence.value, KLYNGE.evidence) or ""),
                    sources=[facts.named(s.value) for s in facts.all(influence.value, DCTERMS.source)],
                    locator=facts.one(influence.value, KLYNGE.locator),
                    note=facts.one(influence.value, SKOS.editorialNote),
                )
            )
    start_of = {iri: facts.one(iri, SCHEMA.startDate) or facts.one(iri, SCHEMA.endDate) or "" for iri in facts.by}
    steps.sort(key=lambda s: (start_of.get(s.later.iri, ""), start_of.get(s.earlier.iri, ""), s.later.iri))
    cited = {s.value for s in facts.all(cluster.value, DCTERMS.source) + facts.all(programme, DCTERMS.source)}
    return ClusterProgramme(
        cluster=facts.named(cluster.value),
        programme=facts.named(programme),
        period="-".join(p for p in (start, end) if p),
        appointer=facts.named(appointer) if appointer else None,
        body=facts.named(body) if body else None,
        appointed_on=facts.one(cluster.value, KLYNGE.appointedOn),
        sources=[facts.named(iri) for iri in sorted(cited)],
        steps=steps,
        triples=triples,
    )
