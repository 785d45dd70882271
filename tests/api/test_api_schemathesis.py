"""Property-based contract test: schemathesis against the served ``/openapi.json``.

Every operation of the running app (a real uvicorn server with the registered
champion) gets generated requests; no response may be a 5xx, and every response
must match the status codes, media types, headers and body schemas the document
declares. Checks that judge the API's own input rules (``positive_data_acceptance``
would count a 422 for revenue below the main-business revenue as a failure) are
left out: those rules are the contract's, tested elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from serving.app import create_app
from tests.support.servers import live_server

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served_url(trained_store: Any) -> Iterator[str]:
    with live_server(create_app(trained_store.settings())) as url:
        yield url


# schemathesis' pytest plugin (``from_fixture`` + ``parametrize``) does not run under
# pytest 9 here, so the operations are walked explicitly, each with its own
# hypothesis run over schemathesis' strategy for it.
MAX_EXAMPLES = 12


def _exercise(operation: Any, base_url: str) -> int:
    """Run the operation's generated cases through the checks; return how many ran."""
    ran = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=60)

    run()
    return ran


def test_the_served_api_honours_its_openapi_document(served_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/score", "/v1/score/batch", "/v1/screen"}
    failures: dict[str, str] = {}
    for operation in operations:
        try:
            assert _exercise(operation, served_url) > 0
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:3000]
    for label, text in failures.items():
        print(f"==== {label}\n{text}")
    assert failures == {}
