"""A client generated from the served document scores firms as a caller's service would.

``openapi-python-client`` (pinned in the dev extra) generates a package from
``/openapi.json`` of a running server into a temporary folder, with the command the
README gives; the test imports it and, through it only, scores a firm, scores a batch
with a bad record, and reads ``/v1/model`` (issue 16). A document the generator cannot
read, or a response the generated models cannot parse, fails here.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from serving.app import create_app
from serving.scoring.scorer import Scorer
from tests.support.api import API_KEY, ListProvider, make_records, settings_for
from tests.support.servers import live_server

pytestmark = pytest.mark.slow

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "srdi_client"


@pytest.fixture(scope="module")
def served(scorer: Scorer) -> Iterator[str]:
    app = create_app(settings_for(api_key=API_KEY), model_provider=ListProvider(scorer))
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def client_package(served: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    spec.write_bytes(httpx.get(f"{served}/openapi.json", timeout=60).content)
    # The README's command (with --path to the saved document instead of --url).
    command = [
        str(GENERATOR),
        "generate",
        "--path",
        str(spec),
        "--meta",
        "none",
        "--output-path",
        str(folder / PACKAGE),
    ]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_client_scores_a_firm_a_batch_and_reads_the_model(
    client_package: ModuleType, served: str
) -> None:
    record, other = make_records(2, seed=11)
    models = _module("models")
    client = client_package.AuthenticatedClient(base_url=served, token=API_KEY)

    result = _module("api.score.score_one").sync(
        client=client, body=models.CompanyRecord.from_dict(record), explain=True
    )
    assert isinstance(result, models.ScoreResult), result
    assert result.company_id == record["company_id"]
    assert 0.0 <= result.score <= 1.0
    assert result.province.value == record["province"]
    assert result.reasons and result.schemes

    bad = {**other, "export_share": 1.4}
    batch = _module("api.score.score_batch").sync(
        client=client,
        body=models.BatchRequest(records=[models.CompanyRecord.from_dict(record).to_dict(), bad]),
    )
    assert isinstance(batch, models.BatchResponse), batch
    assert [r.index for r in batch.results] == [0]
    assert [(e.index, e.field) for e in batch.errors] == [(1, "export_share")]
    assert batch.results[0].score == result.score

    described = _module("api.meta.model").sync(client=client)
    assert isinstance(described, models.ModelDescription), described
    assert described.name == "srdi-potential"
    assert described.version == "1"


def test_the_generated_client_parses_refusals(client_package: ModuleType, served: str) -> None:
    record = make_records(1, seed=12)[0]
    models = _module("models")
    anonymous = client_package.Client(base_url=served)
    refused = _module("api.score.score_one").sync(
        client=anonymous, body=models.CompanyRecord.from_dict(record)
    )
    assert isinstance(refused, models.ErrorBody)
    assert "API key" in refused.detail
