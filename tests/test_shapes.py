"""The SHACL shapes: every constraint fails its broken fixture, and the repository conforms.

Each file in ``tests/fixtures/broken/`` is valid apart from the defect its first line names; it is checked
together with the ontology, as ``klynge validate FILE`` does. One table row per expected violation: what it is
about, as the SHACL report says it (fixture, focus node, the shape or SPARQL constraint that fired, the result
path, the constraint component). A defect may fire more than one constraint (a misspelt NACE code breaks its
pattern and its agreement with the EU IRI); the rows list every one, and nothing else may fire. The wording of
messages is the shapes' own: a violation must carry its shape's message, and messages must be English
sentences, but the table does not restate them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Node, URIRef
from rdflib.namespace import RDF, SH

import built
from klynge.graph.build import build_store
from klynge.rdf.namespaces import PREFIXES, turtle_name
from klynge.resources import asset_files
from klynge.validation.report import compact, path_text
from klynge.validation.validate import ValidationResult, load_shapes

BROKEN = Path(__file__).parent / "fixtures" / "broken"

# (fixture, focus node, shape or SPARQL constraint, result path, constraint component without sh: and
# ConstraintComponent)
CASES = [
    (
        "administration-without-administrator",
        "kid:administration/nobody",
        "ksh:AdministrationAdministrator",
        "klynge:administrator",
        "MinCount",
    ),
    ("amount-bad-currency", "kid:amount/kroner", "ksh:AmountCurrency", "schema:currency", "Pattern"),
    ("amount-in-millions-text", "kid:amount/text-budget", "ksh:AmountPositive", "schema:value", "MinExclusive"),
    ("amount-in-millions-text", "kid:amount/text-budget", "ksh:AmountValue", "schema:value", "Datatype"),
    ("amount-negative", "kid:amount/negative-budget", "ksh:AmountPositive", "schema:value", "MinExclusive"),
    ("amount-two-approximations", "kid:amount/vague", "ksh:AmountApproximation", "klynge:approximation", "MaxCount"),
    ("area-without-scheme", "kid:area/loose", "ksh:ConceptInScheme", "skos:inScheme", "MinCount"),
    ("area-without-source", "kid:area/unsourced", "ksh:CodeListSource", "dcterms:source", "QualifiedMinCount"),
    (
        "change-event-without-original",
        "kid:event/founding",
        "ksh:ChangeEventOriginal",
        "org:originalOrganization",
        "MinCount",
    ),
    (
        "change-event-without-result",
        "kid:event/closure",
        "ksh:ChangeEventResulting",
        "(org:resultingOrganization|klynge:receivingOrganization)",
        "MinCount",
    ),
    ("cited-work-url-without-scheme", "kid:work/vaekstforum-effects", "ksh:CitedWorkUrl", "schema:url", "Pattern"),
    ("cited-work-without-source", "kid:work/unlisted", "ksh:CitedWorkSource", "dcterms:source", "QualifiedMinCount"),
    ("cited-work-without-title", "kid:work/untitled", "ksh:CitedWorkTitle", "dcterms:title", "MinCount"),
    ("cited-work-year-1985", "kid:work/old-report", "ksh:CitedWorkIssued", "dcterms:issued", "Pattern"),
    (
        "cluster-appointed-as-year",
        "kid:cluster/appointed-2020",
        "ksh:ClusterAppointedOn",
        "klynge:appointedOn",
        "Datatype",
    ),
    (
        "cluster-appointed-as-year",
        "kid:cluster/appointed-2020",
        "ksh:ClusterAppointedOn",
        "klynge:appointedOn",
        "Pattern",
    ),
    ("cluster-appointed-by-area", "kid:cluster/odd-appointment", "ksh:ClusterAppointedBy", "klynge:appointedBy", "Or"),
    ("cluster-funder-unnamed", "kid:cluster/unnamed-funder", "ksh:ClusterFunder", "schema:funder", "NodeKind"),
    ("cluster-budding-not-boolean", "kid:cluster/maybe-budding", "ksh:ClusterBudding", "klynge:isBudding", "Datatype"),
    ("cluster-with-two-areas", "kid:cluster/two-areas", "ksh:ClusterArea", "klynge:hasArea", "MaxCount"),
    ("cluster-without-area", "kid:cluster/no-area", "ksh:ClusterArea", "klynge:hasArea", "MinCount"),
    ("collection-without-members", "kid:collection/empty", "ksh:CollectionMember", "skos:member", "MinCount"),
    ("dataset-without-label", "kid:dataset/unlabelled", "ksh:ObservationLabel", "rdfs:label", "QualifiedMinCount"),
    ("date-as-plain-string", "kid:policy/untyped-date", "ksh:StartDateType", "schema:startDate", "Or"),
    (
        "ecosystem-node-without-ecosystem",
        "kid:node/ecosystem/DK01-1",
        "ksh:EcosystemNodeEcosystem",
        "klynge:ecosystem",
        "MinCount",
    ),
    (
        "policy-responsible-body-unnamed",
        "kid:policy/anonymous-body",
        "ksh:PolicyResponsibleBody",
        "^klynge:responsibleFor",
        "NodeKind",
    ),
    ("end-date-wrong-type", "kid:policy/string-end", "ksh:EndDateType", "schema:endDate", "Or"),
    ("end-year-2040", "kid:policy/too-late", "ksh:EndDateRange", "schema:endDate", "Pattern"),
    ("evaluation-without-label", "kid:evaluation/unlabelled", "ksh:EvaluationLabel", "rdfs:label", "QualifiedMinCount"),
    ("event-without-date", "kid:event/undated-debate", "ksh:EventDate", "schema:startDate", "MinCount"),
    ("funder-is-a-policy", "kid:policy/funded-by-policy", "ksh:FunderIsOrganisation", "schema:funder", "Class"),
    ("funding-amount-is-literal", "kid:funding/bare-number", "ksh:FundingAmount", "schema:amount", "Class"),
    (
        "funding-without-funded-item",
        "kid:funding/for-nothing",
        "ksh:FundingFundedItem",
        "schema:fundedItem",
        "MinCount",
    ),
    (
        "influenced-by-later-policy",
        "kid:policy/strategy-2010",
        "ksh:NoInfluenceFromLaterPolicy",
        "prov:wasInfluencedBy",
        "SPARQL",
    ),
    ("label-in-german", "kid:org/german-label", "ksh:LabelLanguage", "rdfs:label", "LanguageIn"),
    ("label-in-german", "kid:org/german-label", "ksh:OrganisationLabel", "rdfs:label", "QualifiedMinCount"),
    ("lineage-cycle", "kid:policy/chicken", "ksh:NoLineageCycle", "prov:wasInfluencedBy", "SPARQL"),
    ("lineage-cycle", "kid:policy/egg", "ksh:NoLineageCycle", "prov:wasInfluencedBy", "SPARQL"),
    (
        "maturity-dimension-without-source",
        "kid:maturity/unsourced-dimension",
        "ksh:MaturityDimensionSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    ("maturity-score-above-maximum", "kid:maturity/test-score", "ksh:ScoreWithinMaximum", "klynge:score", "SPARQL"),
    ("maturity-score-negative", "kid:maturity/test-score", "ksh:MaturityScoreValue", "klynge:score", "MinInclusive"),
    (
        "maturity-score-without-assessment",
        "kid:maturity/test-score",
        "ksh:MaturityScoreAssessment",
        "qb:dataSet",
        "MinCount",
    ),
    (
        "maturity-score-without-dimension",
        "kid:maturity/test-score",
        "ksh:MaturityScoreDimension",
        "klynge:dimension",
        "MinCount",
    ),
    (
        "maturity-score-without-maximum",
        "kid:maturity/test-score",
        "ksh:MaturityScoreMaximum",
        "klynge:maximumScore",
        "MinCount",
    ),
    ("nace-bad-code", "kid:nace/C2", "ksh:NaceCodeAgrees", "skos:exactMatch", "SPARQL"),
    ("nace-bad-code", "kid:nace/C2", "ksh:NaceNotation", "skos:notation", "Pattern"),
    ("nace-code-mismatch", "kid:nace/H50", "ksh:NaceCodeAgrees", "skos:exactMatch", "SPARQL"),
    ("nace-iri-with-letter", "kid:nace/C21", "ksh:NaceCodeAgrees", "skos:exactMatch", "SPARQL"),
    ("nace-iri-with-letter", "kid:nace/C21", "ksh:NaceExactMatch", "skos:exactMatch", "Pattern"),
    (
        "node-count-negative",
        "kid:stat/DK01-sectoral-node-count",
        "ksh:NodeCountValue",
        "klynge:nodeCount",
        "MinInclusive",
    ),
    (
        "node-count-without-region",
        "kid:stat/nowhere-node-count",
        "ksh:NodeCountRegion",
        "sdmx-dimension:refArea",
        "MinCount",
    ),
    ("node-duplicate-rank", "kid:node/sector/DK01-1", "ksh:NodeRankUnique", "klynge:rank", "SPARQL"),
    ("node-duplicate-rank", "kid:node/sector/DK01-1-again", "ksh:NodeRankUnique", "klynge:rank", "SPARQL"),
    ("node-rank-untyped", "kid:node/sector/DK01-1", "ksh:NodeRank", "klynge:rank", "Or"),
    ("node-rank-untyped", "kid:node/sector/DK01-1", "ksh:NodeRankFromOne", "klynge:rank", "MinInclusive"),
    ("node-rank-zero", "kid:node/sector/DK01-0", "ksh:NodeRankFromOne", "klynge:rank", "MinInclusive"),
    ("node-region-not-nuts", "kid:node/sector/DK01-1", "ksh:NodeRegion", "sdmx-dimension:refArea", "Class"),
    ("node-without-dataset", "kid:node/sector/DK01-1", "ksh:NodeDataSet", "qb:dataSet", "MinCount"),
    ("node-without-region", "kid:node/sector/nowhere-1", "ksh:NodeRegion", "sdmx-dimension:refArea", "MinCount"),
    ("node-without-sector", "kid:node/sector/DK01-1", "ksh:SectoralNodeSector", "klynge:sector", "MinCount"),
    (
        "objective-without-source",
        "kid:objective/unsourced",
        "ksh:PolicyContentSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    (
        "observation-without-source",
        "kid:stat/unsourced",
        "ksh:ObservationSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    ("organisation-with-email", "kid:org/mailbox", "ksh:NoEmail", "schema:email", "MaxCount"),
    (
        "organisation-without-source",
        "kid:org/unsourced",
        "ksh:OrganisationSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    (
        "participation-records-incomplete",
        "kid:activity/orphan-event",
        "ksh:ClusterActivityOrganiser",
        "klynge:organisedBy",
        "MinCount",
    ),
    (
        "participation-records-incomplete",
        "kid:participation/empty",
        "ksh:ParticipationActivity",
        "klynge:activity",
        "MinCount",
    ),
    (
        "participation-records-incomplete",
        "kid:participation/empty",
        "ksh:ParticipationParticipant",
        "klynge:participant",
        "MinCount",
    ),
    ("person-email-in-text", "kid:person/described", "ksh:PersonNoContactText", "dcterms:description", "SPARQL"),
    ("person-phone-in-text", "kid:person/noted", "ksh:PersonNoContactText", "skos:note", "SPARQL"),
    ("person-with-email", "kid:person/reachable", "ksh:NoMailbox", "foaf:mbox", "MaxCount"),
    ("person-with-email", "kid:person/reachable", "ksh:PersonNoContactText", "foaf:mbox", "SPARQL"),
    ("person-with-foaf-phone", "kid:person/phoned", "ksh:NoPhone", "foaf:phone", "MaxCount"),
    ("person-with-foaf-phone", "kid:person/phoned", "ksh:PersonNoContactText", "foaf:phone", "SPARQL"),
    ("person-with-telephone", "kid:person/callable", "ksh:NoTelephone", "schema:telephone", "MaxCount"),
    ("person-with-telephone", "kid:person/callable", "ksh:PersonNoContactText", "schema:telephone", "SPARQL"),
    ("person-without-label", "kid:person/unlabelled", "ksh:PersonLabel", "rdfs:label", "QualifiedMinCount"),
    ("person-without-name", "kid:person/nameless", "ksh:PersonName", "foaf:name", "MinCount"),
    ("person-without-role", "kid:person/roleless", "ksh:PersonRole", "(schema:jobTitle|org:holds)", "MinCount"),
    (
        "policy-sourced-only-by-cited-work",
        "kid:policy/traced-to-a-work-only",
        "ksh:PolicySource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    ("policy-two-english-labels", "kid:policy/twice-named", "ksh:PolicyLabel", "rdfs:label", "QualifiedMaxCount"),
    ("policy-without-label", "kid:policy/unlabelled", "ksh:PolicyLabel", "rdfs:label", "QualifiedMinCount"),
    ("policy-without-source", "kid:policy/unsourced", "ksh:PolicySource", "dcterms:source", "QualifiedMinCount"),
    ("policy-year-1985", "kid:policy/too-early", "ksh:StartDateRange", "schema:startDate", "Pattern"),
    ("post-without-label", "kid:post/unnamed-minister", "ksh:PostLabel", "rdfs:label", "QualifiedMinCount"),
    (
        "recommendation-without-author",
        "kid:recommendation/orphan",
        "ksh:RecommendationAuthor",
        "klynge:recommendedBy",
        "MinCount",
    ),
    ("region-bad-nuts-code", "kid:region/dk-01", "ksh:NutsCodeAgrees", "skos:exactMatch", "SPARQL"),
    ("region-bad-nuts-code", "kid:region/dk-01", "ksh:NutsNotation", "skos:notation", "Pattern"),
    ("region-code-mismatch", "kid:region/DK01", "ksh:NutsCodeAgrees", "skos:exactMatch", "SPARQL"),
    ("region-without-eu-iri", "kid:region/DK02", "ksh:NutsExactMatch", "skos:exactMatch", "MinCount"),
    (
        "resources-without-label",
        "kid:administration/unlabelled",
        "ksh:AdministrationLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    ("resources-without-label", "kid:amount/unlabelled", "ksh:AmountLabel", "rdfs:label", "QualifiedMinCount"),
    ("resources-without-label", "kid:event/unlabelled", "ksh:EventLabel", "rdfs:label", "QualifiedMinCount"),
    ("resources-without-label", "kid:funding/unlabelled", "ksh:FundingLabel", "rdfs:label", "QualifiedMinCount"),
    (
        "resources-without-label",
        "kid:instrument/unlabelled",
        "ksh:PolicyContentLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    (
        "resources-without-label",
        "kid:maturity/unlabelled",
        "ksh:MaturityDimensionLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    (
        "resources-without-label",
        "kid:recommendation/unlabelled",
        "ksh:RecommendationLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    ("resources-without-label", "kid:scheme/unlabelled", "ksh:CodeListLabel", "rdfs:label", "QualifiedMinCount"),
    ("resources-without-label", "kid:work/unlabelled", "ksh:CitedWorkLabel", "rdfs:label", "QualifiedMinCount"),
    (
        "resources-without-source",
        "kid:administration/unsourced",
        "ksh:AdministrationSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    ("resources-without-source", "kid:amount/unsourced", "ksh:AmountSource", "dcterms:source", "QualifiedMinCount"),
    (
        "resources-without-source",
        "kid:evaluation/unsourced",
        "ksh:EvaluationSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    ("resources-without-source", "kid:event/unsourced", "ksh:EventSource", "dcterms:source", "QualifiedMinCount"),
    ("resources-without-source", "kid:funding/unsourced", "ksh:FundingSource", "dcterms:source", "QualifiedMinCount"),
    ("resources-without-source", "kid:person/unsourced", "ksh:PersonSource", "dcterms:source", "QualifiedMinCount"),
    ("resources-without-source", "kid:post/unsourced", "ksh:PostSource", "dcterms:source", "QualifiedMinCount"),
    (
        "resources-without-source",
        "kid:recommendation/unsourced",
        "ksh:RecommendationSource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    (
        "responsible-for-non-policy",
        "kid:org/parent",
        "ksh:OrganisationResponsibleFor",
        "klynge:responsibleFor",
        "Class",
    ),
    ("resulted-from-non-study", "kid:policy/follow-up", "ksh:PolicyStudyTarget", "klynge:resultedFromStudy", "Class"),
    ("review-without-subject", "kid:evaluation/about-nothing", "ksh:EvaluationSubject", "klynge:evaluates", "MinCount"),
    (
        "source-document-without-label",
        "kid:source/unlabelled",
        "ksh:SourceDocumentLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    ("source-document-without-title", "kid:source/untitled", "ksh:SourceDocumentTitle", "dcterms:title", "MinCount"),
    ("source-not-a-document", "kid:org/publisher", "ksh:SourceTargetShape", "", "Or"),
    (
        "source-not-a-document",
        "kid:policy/sourced-by-organisation",
        "ksh:PolicySource",
        "dcterms:source",
        "QualifiedMinCount",
    ),
    ("start-after-end", "kid:policy/backwards", "ksh:StartNotAfterEnd", "schema:startDate", "SPARQL"),
    (
        "start-after-end-dates",
        "kid:administration/one-day-backwards",
        "ksh:StartNotAfterEnd",
        "schema:startDate",
        "SPARQL",
    ),
    ("statistic-negative", "kid:stat/negative", "ksh:StatisticValue", "sdmx-measure:obsValue", "MinInclusive"),
    (
        "statistic-undefined-measure",
        "klynge:NumberOfInovationNetworks",
        "ksh:VocabularyConceptLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    ("statistic-unknown-approximation", "kid:stat/roughly", "ksh:StatisticApproximation", "klynge:approximation", "In"),
    (
        "statistic-unknown-approximation",
        "klynge:Roughly",
        "ksh:VocabularyConceptLabel",
        "rdfs:label",
        "QualifiedMinCount",
    ),
    ("statistic-without-measure", "kid:stat/what-is-counted", "ksh:StatisticMeasure", "klynge:measure", "MinCount"),
    ("two-danish-labels", "kid:org/two-danish-names", "ksh:OneDanishLabel", "rdfs:label", "QualifiedMaxCount"),
    ("two-end-dates", "kid:policy/two-ends", "ksh:OneEndDate", "schema:endDate", "MaxCount"),
    ("two-start-dates", "kid:policy/two-starts", "ksh:OneStartDate", "schema:startDate", "MaxCount"),
    # The evidence behind the graph and the structure of its data cubes (shapes/evidence.ttl).
    ("component-of-two-kinds", "kid:component/test-dimension", "ksh:ComponentKind", "qb:componentProperty", "SPARQL"),
    ("dataset-without-structure", "kid:dataset/test", "ksh:DataSetStructure", "qb:structure", "MinCount"),
    ("funding-without-funder", "kid:funding/anonymous", "ksh:FundingFunder", "schema:funder", "SPARQL"),
    (
        "inferred-step-without-note",
        "kid:influence/later--succeeds--earlier",
        "ksh:InferredStepHasNote",
        "skos:editorialNote",
        "SPARQL",
    ),
    (
        "influence-without-evidence",
        "kid:influence/later--succeeds--earlier",
        "ksh:InfluenceEvidence",
        "klynge:evidence",
        "MinCount",
    ),
    (
        "influence-without-influencer",
        "kid:influence/later--succeeds--earlier",
        "ksh:InfluenceInfluencer",
        "prov:influencer",
        "MinCount",
    ),
    ("influence-without-influencer", "kid:policy/later", "ksh:PlanLinksAreQualified", "prov:wasInfluencedBy", "SPARQL"),
    (
        "influence-without-link",
        "kid:influence/later--succeeds--earlier",
        "ksh:InfluenceMatchesItsLink",
        "prov:influencer",
        "SPARQL",
    ),
    (
        "influence-without-locator",
        "kid:influence/later--succeeds--earlier",
        "ksh:InfluenceLocator",
        "klynge:locator",
        "MinCount",
    ),
    (
        "influence-without-relation",
        "kid:influence/later--succeeds--earlier",
        "ksh:InfluenceRelation",
        "klynge:relation",
        "MinCount",
    ),
    (
        "influence-without-source",
        "kid:influence/later--succeeds--earlier",
        "ksh:InfluenceSource",
        "dcterms:source",
        "MinCount",
    ),
    ("lineage-link-unqualified", "kid:policy/later", "ksh:PlanLinksAreQualified", "prov:wasInfluencedBy", "SPARQL"),
    (
        "lineage-step-to-organisation",
        "kid:policy/successor",
        "ksh:PolicyLineageTarget",
        "(klynge:succeeds|klynge:prolongs|klynge:consolidates|klynge:basedOnLessonsOf|klynge:implements"
        "|prov:wasInfluencedBy)",
        "Class",
    ),
    ("reading-describes-no-triple", "kid:reading/later--startDate", "ksh:ReadingObject", "rdf:object", "MinCount"),
    (
        "reading-describes-no-triple",
        "kid:reading/later--startDate",
        "ksh:ReadingPredicate",
        "rdf:predicate",
        "MinCount",
    ),
    ("reading-describes-no-triple", "kid:reading/later--startDate", "ksh:ReadingSubject", "rdf:subject", "MinCount"),
    ("reading-marked-stated", "kid:reading/later--startDate", "ksh:ReadingEvidence", "klynge:evidence", "HasValue"),
    ("reading-of-unstated-triple", "kid:reading/later--startDate", "ksh:ReadingIsAsserted", "rdf:object", "SPARQL"),
    ("reading-without-provenance", "kid:reading/later--startDate", "ksh:ReadingLocator", "klynge:locator", "MinCount"),
    ("reading-without-provenance", "kid:reading/later--startDate", "ksh:ReadingSource", "dcterms:source", "MinCount"),
    ("slice-without-label", "kid:slice/test", "ksh:SliceLabel", "rdfs:label", "MinCount"),
    ("statistic-without-dataset", "kid:stat/loose", "ksh:StatisticDataSet", "qb:dataSet", "MinCount"),
    ("structure-empty", "kid:dsd/test", "ksh:StructureComponents", "qb:component", "MinCount"),
    ("structure-empty", "kid:dsd/test", "ksh:StructureLabel", "rdfs:label", "MinCount"),
]


def fixture_result(name: str) -> ValidationResult:
    """The validation of one broken fixture with the ontology (once per run: tests/built.py)."""
    return built.pyshacl_validation(BROKEN / f"{name}.ttl")


def written(name: str) -> str:
    """A focus node of the table as the report writes it (whole where a prefixed name would not parse back)."""
    prefix, _, local = name.partition(":")
    return turtle_name(PREFIXES[prefix] + local)


def named(term: Node | None) -> str:
    """A focus node as the table names it: ``kid:policy/x`` for an IRI under kid: (the report writes it whole)."""
    return "kid:" + str(term)[len(PREFIXES["kid"]) :] if str(term).startswith(PREFIXES["kid"]) else compact(term)


def about(result: ValidationResult) -> set[tuple[str, str, str, str]]:
    """What each result of a SHACL report is about: focus node, shape or constraint, path and component."""
    report = result.graph
    found = set()
    for node in report.subjects(RDF.type, SH.ValidationResult):
        constraint = report.value(node, SH.sourceConstraint)
        shape = constraint if isinstance(constraint, URIRef) else report.value(node, SH.sourceShape)
        found.add(
            (
                named(report.value(node, SH.focusNode)),
                compact(shape),
                path_text(report, report.value(node, SH.resultPath)),
                compact(report.value(node, SH.sourceConstraintComponent)),
            )
        )
    return found


def own_message(shapes: Graph, name: str) -> str:
    """The fixed start of a shape's or constraint's sh:message: before any {?placeholder}, and before any IRI
    (the report shortens IRIs in messages with the project's prefixes)."""
    node = URIRef(PREFIXES["ksh"] + name.removeprefix("ksh:"))
    return re.split(r"[{<]", str(shapes.value(node, SH.message)), maxsplit=1)[0].strip()


@pytest.mark.parametrize(
    ("fixture", "focus", "shape", "path", "component"), CASES, ids=[f"{row[0]}:{row[2]}" for row in CASES]
)
def test_broken_fixture_fails_where_expected(fixture: str, focus: str, shape: str, path: str, component: str) -> None:
    result = fixture_result(fixture)
    assert not result.conforms
    assert (focus, shape, path, f"sh:{component}ConstraintComponent") in about(result), result.text
    matching = [v for v in result.violations if v.focus == written(focus) and v.shape == shape]
    assert all(v.source.endswith(f"{fixture}.ttl") for v in matching), "the report names the fixture's file"
    assert any(v.message.startswith(own_message(result.shapes, shape)) for v in matching), (
        f"{shape} fired without its own message:\n{result.text}"
    )


@pytest.mark.parametrize("fixture", sorted({row[0] for row in CASES}))
def test_fixture_breaks_nothing_it_does_not_expect(fixture: str) -> None:
    expected = {
        (focus, shape, path, f"sh:{component}ConstraintComponent")
        for name, focus, shape, path, component in CASES
        if name == fixture
    }
    assert about(fixture_result(fixture)) == expected


def test_every_fixture_has_expectations() -> None:
    on_disk = {path.stem for path in BROKEN.glob("*.ttl")}
    assert on_disk == {row[0] for row in CASES}


def test_every_constraint_is_broken_by_a_fixture() -> None:
    shapes = load_shapes()
    constraints = {compact(node) for node in shapes.subjects(SH.message, None)}
    assert constraints - {row[2] for row in CASES} == set()


def test_every_message_is_an_english_sentence() -> None:
    shapes = load_shapes()
    for node, message in shapes.subject_objects(SH.message):
        assert isinstance(message, Literal) and message.language == "en", compact(node)
        assert message.endswith("."), f"{compact(node)}: messages are sentences"


def target_classes() -> str:
    """The classes the shapes target, as a SPARQL VALUES list."""
    return " ".join(f"<{c}>" for c in sorted(set(load_shapes().objects(None, SH.targetClass))))


def test_every_ontology_class_is_targeted_by_a_shape() -> None:
    """Each klynge: class, or a class above it, is the target of some shape."""
    rows = build_store(asset_files("ontology")).query(
        f"""SELECT ?class WHERE {{
              ?class a <http://www.w3.org/2002/07/owl#Class> .
              FILTER(STRSTARTS(STR(?class), "https://w3id.org/klynge/ontology#"))
              FILTER NOT EXISTS {{
                VALUES ?target {{ {target_classes()} }}
                ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?target
              }}
            }} ORDER BY ?class""",
        use_default_graph_as_union=True,
    )
    assert [row["class"].value for row in rows] == []


def test_every_repository_resource_is_checked_by_a_shape() -> None:
    """No resource escapes the shapes: each kid: subject is an instance of a class some shape targets."""
    rows = built.published_store().query(
        f"""SELECT DISTINCT ?s WHERE {{
              ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "https://w3id.org/klynge/id/"))
              FILTER NOT EXISTS {{ VALUES ?class {{ {target_classes()} }} ?s a ?class }}
            }} ORDER BY ?s""",
        use_default_graph_as_union=True,
    )
    assert [row["s"].value for row in rows] == []


def test_repository_conforms() -> None:
    result = built.pyshacl_validation()
    assert result.conforms, result.text
