"""The OpenAPI contract: schemathesis' command line against a real server, every check.

``st run`` (schemathesis 4, pinned) takes the served ``/openapi.json`` and runs all
its phases (the documented examples, coverage of every boundary and type, fuzzing,
and the stateful phase that follows the document's links from ``POST
/v1/screen/page`` to ``GET /v1/screen/page/{token}/rows/{row}``) with every check
(``--checks all``: no 5xx, documented status codes, media types, headers and
schemas, valid data accepted, invalid data refused, auth enforced, …), a fixed seed
and a bounded number of cases. The server has an API key, so the admin route is
exercised too (the ``ignored_auth`` check also sends each request without the key).
Zero failures: the document says what the server enforces and the server enforces
what the document says (issue 16).

The run is the same as ``st run http://HOST:PORT/openapi.json --checks all`` from the
checkout against ``srdi serve``: the repository's ``schemathesis.toml`` supplies the
hooks that make generated *valid* records and uploads obey the rules a JSON Schema
cannot state (see ``tests/support/contract_hooks.py``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serving.app import create_app
from tests.support.api import API_KEY
from tests.support.servers import live_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
SEED = 20260516
# Cases per operation and phase: about a minute on a 2-core CI machine.
MAX_EXAMPLES = 25
# Small, so the coverage phase reaches the batch limit (maxItems + 1 → 422).
MAX_BATCH_RECORDS = 20


@pytest.fixture(scope="module")
def served_url(trained_store: Any) -> Iterator[str]:
    settings = trained_store.settings(api_key=API_KEY, max_batch_records=MAX_BATCH_RECORDS)
    with live_server(create_app(settings)) as url:
        yield url


def test_schemathesis_finds_no_failure_with_every_check(served_url: str, tmp_path: Path) -> None:
    command = [
        str(ST),
        "run",
        f"{served_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--report",
        "junit",
        "--report-junit-path",
        str(tmp_path / "junit.xml"),
        "--no-color",
        "--header",
        f"X-API-Key: {API_KEY}",
    ]
    # From the checkout: schemathesis.toml (hooks, generation settings) is found from the
    # working directory, as for a person running `st run` there.
    run = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    assert "No issues found" in output, output[-5000:]
    junit = (tmp_path / "junit.xml").read_text()
    # Every operation of the document was tested, including the admin route.
    for operation in ("POST /v1/score", "POST /v1/admin/reload", "GET /v1/screen/page/"):
        assert operation in junit
