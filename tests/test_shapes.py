"""The SHACL shapes: every constraint fails its broken fixture with its message, and the repository conforms.

Each file in ``tests/fixtures/broken/`` is valid apart from the defect its first line names; it is checked
together with the ontology, as ``klynge validate FILE`` does. One table row per expected violation: fixture,
focus node, the shape or SPARQL constraint that must fire, and the start of its message. A defect may fire
more than one constraint (a misspelt NACE code breaks its pattern and its agreement with the EU IRI); the
rows list every one, and nothing else may fire.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import SH

from klynge.graph.build import build_store
from klynge.resources import asset_files
from klynge.validation.report import compact
from klynge.validation.validate import ValidationResult, load_shapes, read_store, sources_for, validate_store

BROKEN = Path(__file__).parent / "fixtures" / "broken"

CASES = [
    ("administration-without-administrator", "kid:administration/nobody", "ksh:AdministrationAdministrator",
     "An administration period names exactly one"),
    ("amount-bad-currency", "kid:amount/kroner", "ksh:AmountCurrency",
     "A monetary amount has exactly one currency, an"),
    ("amount-in-millions-text", "kid:amount/text-budget", "ksh:AmountPositive",
     "A monetary amount must be greater than 0"),
    ("amount-in-millions-text", "kid:amount/text-budget", "ksh:AmountValue",
     "A monetary amount has exactly one value, an"),
    ("amount-negative", "kid:amount/negative-budget", "ksh:AmountPositive", "A monetary amount must be greater than 0"),
    ("amount-two-approximations", "kid:amount/vague", "ksh:AmountApproximation",
     "An amount carries at most one approximation"),
    ("area-without-scheme", "kid:area/loose", "ksh:ConceptInScheme",
     "A code-list concept belongs to its concept scheme"),
    ("area-without-source", "kid:area/unsourced", "ksh:CodeListSource", "A code-list entry"),
    ("change-event-without-original", "kid:event/founding", "ksh:ChangeEventOriginal",
     "A change event names at least one organisation it"),
    ("change-event-without-result", "kid:event/closure", "ksh:ChangeEventResulting",
     "A change event names at least one organisation it"),
    ("cited-work-url-without-scheme", "kid:work/vaekstforum-effects", "ksh:CitedWorkUrl",
     "A cited work has at most one address, a full web"),
    ("cited-work-without-source", "kid:work/unlisted", "ksh:CitedWorkSource",
     "A cited work needs the source document that lists"),
    ("cited-work-without-title", "kid:work/untitled", "ksh:CitedWorkTitle",
     "A cited work needs its title as the source lists"),
    ("cited-work-year-1985", "kid:work/old-report", "ksh:CitedWorkIssued",
     "A cited work has at most one year of publication,"),
    ("cluster-appointed-as-year", "kid:cluster/appointed-2020", "ksh:ClusterAppointedOn",
     "A cluster has at most one appointment date, an"),
    ("cluster-appointed-by-area", "kid:cluster/odd-appointment", "ksh:ClusterAppointedBy",
     "klynge:appointedBy must point to the post,"),
    ("cluster-budding-not-boolean", "kid:cluster/maybe-budding", "ksh:ClusterBudding",
     "klynge:isBudding is stated at most once, as true"),
    ("cluster-with-two-areas", "kid:cluster/two-areas", "ksh:ClusterArea", "A cluster organisation covers exactly one"),
    ("cluster-without-area", "kid:cluster/no-area", "ksh:ClusterArea", "A cluster organisation covers exactly one"),
    ("collection-without-members", "kid:collection/empty", "ksh:CollectionMember", "A collection lists its members"),
    ("dataset-without-label", "kid:dataset/unlabelled", "ksh:ObservationLabel", "An observation or data set"),
    ("date-as-plain-string", "kid:policy/untyped-date", "ksh:StartDateType",
     "A start date must be typed xsd:gYear or xsd:date"),
    ("ecosystem-node-without-ecosystem", "kid:node/ecosystem/DK01-1", "ksh:EcosystemNodeEcosystem",
     "An ecosystem node names exactly one industrial"),
    ("end-date-wrong-type", "kid:policy/string-end", "ksh:EndDateType",
     "An end date must be typed xsd:gYear or xsd:date"),
    ("end-year-2040", "kid:policy/too-late", "ksh:EndDateRange", "An end date must fall in the years 1990 to 2035"),
    ("evaluation-without-label", "kid:evaluation/unlabelled", "ksh:EvaluationLabel",
     "An evaluation or review needs exactly one English"),
    ("event-without-date", "kid:event/undated-debate", "ksh:EventDate", "An event needs the date it happened"),
    ("funder-is-a-policy", "kid:policy/funded-by-policy", "ksh:FunderIsOrganisation",
     "schema:funder must point to an organisation"),
    ("funding-amount-is-literal", "kid:funding/bare-number", "ksh:FundingAmount",
     "A funding has at most one amount, a"),
    ("funding-without-funded-item", "kid:funding/for-nothing", "ksh:FundingFundedItem",
     "A funding names what it funds"),
    ("funding-without-funder", "kid:funding/anonymous", "ksh:FundingFunder", "A funding names at least one funder"),
    ("influenced-by-later-policy", "kid:policy/strategy-2010", "ksh:NoInfluenceFromLaterPolicy",
     "A policy cannot be influenced by a later one"),
    ("label-in-german", "kid:org/german-label", "ksh:LabelLanguage", "A label must be tagged English or Danish"),
    ("label-in-german", "kid:org/german-label", "ksh:OrganisationLabel",
     "An organisation needs exactly one English label"),
    ("lineage-cycle", "kid:policy/chicken", "ksh:NoLineageCycle", "Policy lineage runs in a circle"),
    ("lineage-cycle", "kid:policy/egg", "ksh:NoLineageCycle", "Policy lineage runs in a circle"),
    ("lineage-step-to-organisation", "kid:policy/successor", "ksh:PolicyLineageTarget", "A lineage step"),
    ("maturity-dimension-without-source", "kid:maturity/unsourced-dimension", "ksh:MaturityDimensionSource",
     "A maturity dimension needs at least one source"),
    ("maturity-score-above-maximum", "kid:maturity/test-score", "ksh:ScoreWithinMaximum",
     "The score 7 is above the highest score this"),
    ("maturity-score-negative", "kid:maturity/test-score", "ksh:MaturityScoreValue",
     "A maturity score states exactly one score, a"),
    ("maturity-score-without-assessment", "kid:maturity/test-score", "ksh:MaturityScoreAssessment",
     "A maturity score belongs to exactly one maturity"),
    ("maturity-score-without-dimension", "kid:maturity/test-score", "ksh:MaturityScoreDimension",
     "A maturity score scores exactly one dimension"),
    ("maturity-score-without-maximum", "kid:maturity/test-score", "ksh:MaturityScoreMaximum",
     "A maturity score states exactly one highest"),
    ("nace-bad-code", "kid:nace/C2", "ksh:NaceCodeAgrees", "The NACE code C2 and the EU IRI"),
    ("nace-bad-code", "kid:nace/C2", "ksh:NaceNotation", "A NACE division needs exactly one code as"),
    ("nace-code-mismatch", "kid:nace/H50", "ksh:NaceCodeAgrees", "The NACE code H50 and the EU IRI"),
    ("nace-iri-with-letter", "kid:nace/C21", "ksh:NaceCodeAgrees", "The NACE code C21 and the EU IRI"),
    ("nace-iri-with-letter", "kid:nace/C21", "ksh:NaceExactMatch", "A NACE division needs exactly one skos:exactMatch"),
    ("node-count-negative", "kid:stat/DK01-sectoral-node-count", "ksh:NodeCountValue",
     "A node count states exactly one whole number of"),
    ("node-count-without-region", "kid:stat/nowhere-node-count", "ksh:NodeCountRegion",
     "A node count is for exactly one NUTS-2 region"),
    ("node-duplicate-rank", "kid:node/sector/DK01-1", "ksh:NodeRankUnique",
     "Two nodes of one data set share region and rank"),
    ("node-duplicate-rank", "kid:node/sector/DK01-1-again", "ksh:NodeRankUnique",
     "Two nodes of one data set share region and rank"),
    ("node-rank-untyped", "kid:node/sector/DK01-1", "ksh:NodeRank", "A node has exactly one rank, a whole number"),
    ("node-rank-untyped", "kid:node/sector/DK01-1", "ksh:NodeRankFromOne", "A node's rank counts from 1"),
    ("node-rank-zero", "kid:node/sector/DK01-0", "ksh:NodeRankFromOne", "A node's rank counts from 1"),
    ("node-region-not-nuts", "kid:node/sector/DK01-1", "ksh:NodeRegion", "A node lies in exactly one NUTS-2 region"),
    ("node-without-dataset", "kid:node/sector/DK01-1", "ksh:NodeDataSet", "A node belongs to exactly one data set"),
    ("node-without-region", "kid:node/sector/nowhere-1", "ksh:NodeRegion", "A node lies in exactly one NUTS-2 region"),
    ("node-without-sector", "kid:node/sector/DK01-1", "ksh:SectoralNodeSector",
     "A sectoral node names exactly one NACE division"),
    ("objective-without-source", "kid:objective/unsourced", "ksh:PolicyContentSource",
     "An objective, instrument, requirement,"),
    ("observation-without-source", "kid:stat/unsourced", "ksh:ObservationSource", "An observation or data set"),
    ("organisation-with-email", "kid:org/mailbox", "ksh:NoEmail", "No e-mail addresses in the graph"),
    ("organisation-without-source", "kid:org/unsourced", "ksh:OrganisationSource",
     "An organisation needs at least one source"),
    ("participation-records-incomplete", "kid:activity/orphan-event", "ksh:ClusterActivityOrganiser",
     "A cluster activity is run by exactly one cluster"),
    ("participation-records-incomplete", "kid:participation/empty", "ksh:ParticipationActivity",
     "A participation records exactly one cluster"),
    ("participation-records-incomplete", "kid:participation/empty", "ksh:ParticipationParticipant",
     "A participation records exactly one participant"),
    ("person-email-in-text", "kid:person/described", "ksh:PersonNoContactText",
     "A person's data must not hold contact details"),
    ("person-phone-in-text", "kid:person/noted", "ksh:PersonNoContactText",
     "A person's data must not hold contact details"),
    ("person-with-email", "kid:person/reachable", "ksh:NoMailbox", "No e-mail addresses in the graph"),
    ("person-with-email", "kid:person/reachable", "ksh:PersonNoContactText",
     "A person's data must not hold contact details"),
    ("person-with-foaf-phone", "kid:person/phoned", "ksh:NoPhone", "No phone numbers in the graph"),
    ("person-with-foaf-phone", "kid:person/phoned", "ksh:PersonNoContactText",
     "A person's data must not hold contact details"),
    ("person-with-telephone", "kid:person/callable", "ksh:NoTelephone", "No phone numbers in the graph"),
    ("person-with-telephone", "kid:person/callable", "ksh:PersonNoContactText",
     "A person's data must not hold contact details"),
    ("person-without-label", "kid:person/unlabelled", "ksh:PersonLabel", "A person needs exactly one English label"),
    ("person-without-name", "kid:person/nameless", "ksh:PersonName", "A person needs exactly one name"),
    ("person-without-role", "kid:person/roleless", "ksh:PersonRole", "A person is in the graph for their role"),
    ("policy-sourced-only-by-cited-work", "kid:policy/traced-to-a-work-only", "ksh:PolicySource",
     "A policy needs at least one source"),
    ("policy-two-english-labels", "kid:policy/twice-named", "ksh:PolicyLabel",
     "A policy needs exactly one English label"),
    ("policy-without-label", "kid:policy/unlabelled", "ksh:PolicyLabel", "A policy needs exactly one English label"),
    ("policy-without-source", "kid:policy/unsourced", "ksh:PolicySource", "A policy needs at least one source"),
    ("policy-year-1985", "kid:policy/too-early", "ksh:StartDateRange",
     "A start date must fall in the years 1990 to 2035"),
    ("post-without-label", "kid:post/unnamed-minister", "ksh:PostLabel", "A post needs exactly one English label"),
    ("recommendation-without-author", "kid:recommendation/orphan", "ksh:RecommendationAuthor",
     "A recommendation names the organisation that made"),
    ("region-bad-nuts-code", "kid:region/dk-01", "ksh:NutsCodeAgrees", "The NUTS code dk-01 and the EU IRI"),
    ("region-bad-nuts-code", "kid:region/dk-01", "ksh:NutsNotation", "A NUTS region needs exactly one NUTS code as"),
    ("region-code-mismatch", "kid:region/DK01", "ksh:NutsCodeAgrees", "The NUTS code DK01 and the EU IRI"),
    ("region-without-eu-iri", "kid:region/DK02", "ksh:NutsExactMatch",
     "A NUTS region needs exactly one skos:exactMatch"),
    ("resources-without-label", "kid:administration/unlabelled", "ksh:AdministrationLabel",
     "An administration period needs exactly one"),
    ("resources-without-label", "kid:amount/unlabelled", "ksh:AmountLabel",
     "A monetary amount needs exactly one English label"),
    ("resources-without-label", "kid:event/unlabelled", "ksh:EventLabel", "An event needs exactly one English label"),
    ("resources-without-label", "kid:funding/unlabelled", "ksh:FundingLabel",
     "A funding needs exactly one English label"),
    ("resources-without-label", "kid:instrument/unlabelled", "ksh:PolicyContentLabel",
     "An objective, instrument, requirement,"),
    ("resources-without-label", "kid:maturity/unlabelled", "ksh:MaturityDimensionLabel",
     "A maturity dimension needs exactly one English"),
    ("resources-without-label", "kid:recommendation/unlabelled", "ksh:RecommendationLabel",
     "A recommendation needs exactly one English label"),
    ("resources-without-label", "kid:scheme/unlabelled", "ksh:CodeListLabel", "A code-list entry"),
    ("resources-without-label", "kid:work/unlabelled", "ksh:CitedWorkLabel",
     "A cited work needs exactly one English label"),
    ("resources-without-source", "kid:administration/unsourced", "ksh:AdministrationSource",
     "An administration period needs at least one"),
    ("resources-without-source", "kid:amount/unsourced", "ksh:AmountSource",
     "A monetary amount needs at least one source"),
    ("resources-without-source", "kid:evaluation/unsourced", "ksh:EvaluationSource",
     "An evaluation or review needs at least one source"),
    ("resources-without-source", "kid:event/unsourced", "ksh:EventSource", "An event needs at least one source"),
    ("resources-without-source", "kid:funding/unsourced", "ksh:FundingSource", "A funding needs at least one source"),
    ("resources-without-source", "kid:person/unsourced", "ksh:PersonSource", "A person needs at least one source"),
    ("resources-without-source", "kid:post/unsourced", "ksh:PostSource", "A post needs at least one source"),
    ("resources-without-source", "kid:recommendation/unsourced", "ksh:RecommendationSource",
     "A recommendation needs at least one source"),
    ("responsible-for-non-policy", "kid:org/parent", "ksh:OrganisationResponsibleFor",
     "klynge:responsibleFor must point to a policy"),
    ("resulted-from-non-study", "kid:policy/follow-up", "ksh:PolicyStudyTarget",
     "klynge:resultedFromStudy must point to a study"),
    ("review-without-subject", "kid:evaluation/about-nothing", "ksh:EvaluationSubject",
     "An evaluation or review names what it assesses"),
    ("source-document-without-label", "kid:source/unlabelled", "ksh:SourceDocumentLabel",
     "A source document needs exactly one English label"),
    ("source-document-without-title", "kid:source/untitled", "ksh:SourceDocumentTitle",
     "A source document needs its title"),
    ("source-not-a-document", "kid:org/publisher", "ksh:SourceTargetShape",
     "dcterms:source must point to a source document"),
    ("source-not-a-document", "kid:policy/sourced-by-organisation", "ksh:PolicySource",
     "A policy needs at least one source"),
    ("start-after-end-dates", "kid:administration/one-day-backwards", "ksh:StartNotAfterEnd", "The start date"),
    ("start-after-end", "kid:policy/backwards", "ksh:StartNotAfterEnd", "The start date"),
    ("statistic-negative", "kid:stat/negative", "ksh:StatisticValue",
     "A statistic states exactly one figure, a number"),
    ("statistic-undefined-measure", "klynge:NumberOfInovationNetworks", "ksh:VocabularyConceptLabel",
     "A measure, participant type or approximation"),
    ("statistic-unknown-approximation", "kid:stat/roughly", "ksh:StatisticApproximation",
     "A figure carries at most one approximation"),
    ("statistic-unknown-approximation", "klynge:Roughly", "ksh:VocabularyConceptLabel",
     "A measure, participant type or approximation"),
    ("statistic-without-measure", "kid:stat/what-is-counted", "ksh:StatisticMeasure",
     "A statistic reports exactly one kind of quantity"),
    ("two-danish-labels", "kid:org/two-danish-names", "ksh:OneDanishLabel", "A resource has at most one Danish label"),
    ("two-end-dates", "kid:policy/two-ends", "ksh:OneEndDate", "A resource has at most one end date"),
    ("two-start-dates", "kid:policy/two-starts", "ksh:OneStartDate", "A resource has at most one start date"),
    # The evidence behind the graph and the structure of its data cubes (shapes/evidence.ttl).
("influence-without-influencer", "kid:influence/later--succeeds--earlier", "ksh:InfluenceInfluencer",
     'A qualified lineage step names exactly one earli'),
    ("influence-without-influencer", "kid:policy/later", "ksh:PlanLinksAreQualified",
     'The lineage link to kid:policy/earlier has no qu'),
    ("influence-without-relation", "kid:influence/later--succeeds--earlier", "ksh:InfluenceRelation",
     'A qualified lineage step names exactly one relat'),
    ("influence-without-evidence", "kid:influence/later--succeeds--earlier", "ksh:InfluenceEvidence",
     'A qualified lineage step says whether a source s'),
    ("influence-without-source", "kid:influence/later--succeeds--earlier", "ksh:InfluenceSource",
     'A qualified lineage step names the source docume'),
    ("influence-without-locator", "kid:influence/later--succeeds--earlier", "ksh:InfluenceLocator",
     'A qualified lineage step says where in its sourc'),
    ("inferred-step-without-note", "kid:influence/later--succeeds--earlier", "ksh:InferredStepHasNote",
     'An inferred lineage step or reading needs an Eng'),
    ("influence-without-link", "kid:influence/later--succeeds--earlier", "ksh:InfluenceMatchesItsLink",
     'This qualified step has no direct link to match:'),
    ("lineage-link-unqualified", "kid:policy/later", "ksh:PlanLinksAreQualified",
     'The lineage link to kid:policy/earlier has no qu'),
    ("reading-describes-no-triple", "kid:reading/later--startDate", "ksh:ReadingObject",
     'A reading describes exactly one triple: one rdf:'),
    ("reading-describes-no-triple", "kid:reading/later--startDate", "ksh:ReadingPredicate",
     'A reading describes exactly one triple: one rdf:'),
    ("reading-describes-no-triple", "kid:reading/later--startDate", "ksh:ReadingSubject",
     'A reading describes exactly one triple: one rdf:'),
    ("reading-marked-stated", "kid:reading/later--startDate", "ksh:ReadingEvidence",
     'A reading is marked as our reading: klynge:evide'),
    ("reading-without-provenance", "kid:reading/later--startDate", "ksh:ReadingLocator",
     'A reading says where in its source it is read fr'),
    ("reading-without-provenance", "kid:reading/later--startDate", "ksh:ReadingSource",
     'A reading names the source document it is read f'),
    ("reading-of-unstated-triple", "kid:reading/later--startDate", "ksh:ReadingIsAsserted",
     'This reading describes a triple the graph does n'),
    ("dataset-without-structure", "kid:dataset/test", "ksh:DataSetStructure",
     'A data set needs exactly one structure (qb:struc'),
    ("statistic-without-dataset", "kid:stat/loose", "ksh:StatisticDataSet",
     'A statistic belongs to exactly one data set (qb:'),
    ("structure-empty", "kid:dsd/test", "ksh:StructureComponents",
     'A data structure declares its components: at lea'),
    ("structure-empty", "kid:dsd/test", "ksh:StructureLabel",
     'A data structure needs an English label (rdfs:la'),
    ("component-of-two-kinds", "kid:component/test-dimension", "ksh:ComponentKind",
     'A component specification names exactly one dime'),
    ("slice-without-label", "kid:slice/test", "ksh:SliceLabel",
     'A slice, slice key or provenance statement needs'),
]


@cache
def fixture_result(name: str) -> ValidationResult:
    """The validation of one broken fixture with the ontology (cached: several rows share a fixture)."""
    paths = sources_for([BROKEN / f"{name}.ttl"])
    store, errors = read_store(paths)
    assert not errors, errors
    return validate_store(store, sources=paths)


@pytest.mark.parametrize(
    ("fixture", "focus", "shape", "message"), CASES, ids=[f"{row[0]}:{row[2]}" for row in CASES]
)
def test_broken_fixture_fails_with_message(fixture: str, focus: str, shape: str, message: str) -> None:
    result = fixture_result(fixture)
    assert not result.conforms
    matching = [v for v in result.violations if v.focus == focus and v.shape == shape]
    assert matching, f"{shape} did not fire on {focus}:\n{result.text}"
    assert any(v.message.startswith(message) for v in matching), result.text
    assert all(v.source.endswith(f"{fixture}.ttl") for v in matching), "the report names the fixture's file"


@pytest.mark.parametrize("fixture", sorted({row[0] for row in CASES}))
def test_fixture_breaks_nothing_it_does_not_expect(fixture: str) -> None:
    expected = {(focus, shape) for name, focus, shape, _ in CASES if name == fixture}
    assert {(v.focus, v.shape) for v in fixture_result(fixture).violations} == expected


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
    rows = build_store().query(
        f"""SELECT DISTINCT ?s WHERE {{
              ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "https://w3id.org/klynge/id/"))
              FILTER NOT EXISTS {{ VALUES ?class {{ {target_classes()} }} ?s a ?class }}
            }} ORDER BY ?s""",
        use_default_graph_as_union=True,
    )
    assert [row["s"].value for row in rows] == []


def test_repository_conforms() -> None:
    result = validate_store(build_store())
    assert result.conforms, result.text
