"""The OpenAPI document matches what the routes answer: a bounded schemathesis run, in process (ASGI, no network).

Every documented operation gets a few generated cases, valid (positive) and invalid (negative); each answer is
checked for a server error and for a status code, content type and body the document does not declare. Bounded
so it stays within a minute: a few examples per operation and mode, no shrinking, derandomised (the same cases
every run, so a failure is reproducible and the test is not flaky).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def failures_of(operation, mode: GenerationMode, calls: list[int]) -> list[str]:
    """The distinct check failures of one operation's bounded run in one generation mode (each call counted)."""
    found: dict[str, str] = {}

    @BOUNDED
    @given(operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        calls.append(1)
        try:
            case.call_and_validate(checks=CHECKS)
        except (Failure, FailureGroup) as error:
            for failure in error.exceptions if isinstance(error, FailureGroup) else [error]:
                key = f"{operation.label} [{mode.value}] {failure.code} {failure.title}"
                found.setdefault(key, f"{key}: {failure.message} (e.g. {case.as_curl_command()})")

    try:
        run()
    except Unsatisfiable:  # an operation with nothing to make invalid (no parameters) has no negative cases
        assert mode is GenerationMode.NEGATIVE, operation.label
    return list(found.values())


def test_every_operation_answers_as_documented(web_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures, calls = [], {}
    for operation in operations:
        calls[operation.label] = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += failures_of(operation, mode, calls[operation.label])
    assert failures == [], "\n\n".join(failures)
    assert all(calls.values()), [label for label, made in calls.items() if not made]  # every operation was called
    print(f"schemathesis: {len(operations)} operations, {sum(map(len, calls.values()))} cases, 0 failures")
