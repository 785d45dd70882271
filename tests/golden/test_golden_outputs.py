"""Golden outputs: every public surface gives the same answers as the recorded ones.

The goldens in ``tests/golden/data`` were recorded from the code before the rule
engine and the package layout were rebuilt; they hold the command line (``srdi
features``, ``schemes``, ``score``, ``explain``, ``score-batch``) and the API
(``POST /v1/score``, ``/v1/score/batch``, ``/v1/screen``) to those answers on the
same inputs: 400 generated records, the worked example firms of the rule tests, the
contract's example record and a few bad rows.

Each surface is stored as a digest per item (a firm, a row, a response) plus the
full text of a few items, so a failure names the items that changed and shows one
of them. Floats are compared to 10 significant digits: the same arithmetic in
another order may move the last bits, a rule or model change moves far more.

A deliberate change of behaviour re-records them:
``pytest tests/golden --update-goldens`` (then read ``git diff tests/golden``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "data"
SAMPLES = 3  # items kept in full per surface, to show a diff
SIGNIFICANT = 10

pytestmark = pytest.mark.slow


def canonical(value: Any) -> Any:
    """JSON-ready data with floats rounded to :data:`SIGNIFICANT` digits."""
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return float(f"{x:.{SIGNIFICANT}g}") + 0.0
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [canonical(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _digest(item: Any) -> str:
    text = json.dumps(item, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class Goldens:
    """Compares (or, with ``--update-goldens``, records) one surface's items."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, surface: str, items: Mapping[str, Any]) -> None:
        """Compare ``items`` (key → JSON-ready data) with the golden of ``surface``."""
        items = {k: canonical(v) for k, v in items.items()}
        path = GOLDEN_DIR / f"{surface}.json.gz"
        record = {
            "digests": {k: _digest(v) for k, v in items.items()},
            "samples": {k: items[k] for k in list(items)[:SAMPLES]},
        }
        if self.update:
            GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
            text = json.dumps(record, ensure_ascii=False, sort_keys=True, indent=0)
            path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
            return
        assert path.exists(), f"no golden for {surface}: run pytest tests/golden --update-goldens"
        golden = json.loads(gzip.decompress(path.read_bytes()))
        expected: dict[str, str] = golden["digests"]
        assert sorted(record["digests"]) == sorted(expected), (
            f"{surface}: items differ: missing {sorted(set(expected) - set(items))[:5]}, "
            f"new {sorted(set(items) - set(expected))[:5]}"
        )
        changed = [k for k, d in record["digests"].items() if expected[k] != d]
        if not changed:
            return
        shown = next((k for k in changed if k in golden["samples"]), changed[0])
        before = golden["samples"].get(shown, "(not kept in full: see the digest only)")
        pytest.fail(
            f"{surface}: {len(changed)} of {len(items)} items changed, e.g. {changed[:5]}\n"
            f"--- {shown} recorded:\n{json.dumps(before, ensure_ascii=False, indent=1)[:4000]}\n"
            f"--- {shown} now:\n{json.dumps(items[shown], ensure_ascii=False, indent=1)[:4000]}"
        )


@pytest.fixture(scope="session")
def goldens(request: pytest.FixtureRequest) -> Goldens:
    return Goldens(bool(request.config.getoption("--update-goldens")))


def _example_firms() -> list[dict[str, Any]]:
    from features.record_model import example_record
    from tests.support.rules_firms import FIRM_A, FIRM_B

    out = [dict(FIRM_A), dict(FIRM_B), example_record()]
    # The rule tests' variants of the worked firms: routes, edges and unknowns.
    variants: list[dict[str, Any]] = [
        {"rd_institution": "provincial"},
        {"rd_institution": "national"},
        {"rd_institution": "municipal"},
        {"equity_raised_2y": 5e6},
        {"equity_raised_2y": 4.99e6},
        {"equity_raised_2y": None},
        {"current_tier": "srdi_sme"},
        {"current_tier": "little_giant"},
        {"revenue_prev": None, "rd_expense_prev": None},
        {"national_market_share": None, "world_market_rank": None},
        {"revenue": 4e7, "equity_raised_2y": 9e7},
        {"revenue": 8e7, "rd_expense": 5.2e6},
    ]
    for k, overrides in enumerate(variants):
        out.append({**FIRM_B, **overrides, "company_id": f"B{k:02d}"})
        out.append({**FIRM_A, **overrides, "company_id": f"A{k:02d}"})
    return out


def _records() -> list[dict[str, Any]]:
    from tests.support.api import make_records

    return make_records(400, seed=1) + _example_firms()


BAD_ROWS: list[dict[str, Any]] = [
    {"company_id": "BAD1", "fiscal_year": 2024, "province": "Zhejiang", "industry": "C39",
     "revenue": -5.0},
    {"company_id": "BAD2", "fiscal_year": 2024, "province": "Atlantis", "industry": "C39",
     "revenue": 1e8},
    {"company_id": "BAD3", "fiscal_year": 2024, "province": "Zhejiang", "industry": "C39",
     "revenue": 1e8, "export_share": 1.7, "rd_staff": 50, "employees": 10},
]  # fmt: skip


@pytest.fixture(scope="session")
def golden_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same inputs as CSV and as a Parquet folder."""
    root = tmp_path_factory.mktemp("golden-inputs")
    frame = pd.DataFrame.from_records(_records() + BAD_ROWS)
    csv = root / "firms.csv"
    frame.to_csv(csv, index=False)
    panel = root / "panel"
    panel.mkdir()
    # Two files, so the batch output spans partitions.
    half = len(frame) // 2
    pd.read_csv(csv).iloc[:half].to_parquet(panel / "a.parquet", index=False)
    pd.read_csv(csv).iloc[half:].to_parquet(panel / "b.parquet", index=False)
    return {"csv": csv, "panel": panel, "root": root}


def _run_cli(env: Mapping[str, str] | None, *args: str | Path) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {}), "COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "srdi", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _rows(path: Path, key: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    records = frame.to_dict(orient="records")
    out = {}
    for i, row in enumerate(records):
        name = key(row) if key else str(i)
        assert name not in out, f"{path.name}: duplicate key {name}"
        out[name] = row
    return out


def _by_row(row: dict[str, Any]) -> str:
    return f"{row.get('source_row', '')}|{row.get('company_id', '')}"


def test_features_command(golden_inputs: dict[str, Path], goldens: Goldens) -> None:
    out = golden_inputs["root"] / "features.csv"
    _run_cli(None, "features", golden_inputs["csv"], "-o", out, "--min-count", "5")
    goldens.check("cli_features", _rows(out, _by_row))
    errors = out.with_name("features.errors.csv")
    goldens.check("cli_features_errors", _rows(errors, lambda r: json.dumps(r, sort_keys=True)))


def test_schemes_command(golden_inputs: dict[str, Path], goldens: Goldens) -> None:
    out = golden_inputs["root"] / "schemes.csv"
    details = golden_inputs["root"] / "schemes.jsonl"
    _run_cli(None, "schemes", golden_inputs["csv"], "-o", out, "--details", details)
    goldens.check("cli_schemes", _rows(out, _by_row))
    lines = [json.loads(line) for line in details.read_text("utf-8").splitlines()]
    goldens.check("cli_schemes_details", {_by_row(d): d for d in lines})


def test_score_and_explain_commands(
    golden_inputs: dict[str, Path], goldens: Goldens, trained_store: Any
) -> None:
    out = golden_inputs["root"] / "ranked.csv"
    _run_cli(trained_store.env(), "score", golden_inputs["csv"], "-o", out)
    goldens.check("cli_score", _rows(out, lambda r: r["company_id"]))
    errors = out.with_name("ranked.errors.csv")
    goldens.check("cli_score_errors", _rows(errors, lambda r: json.dumps(r, sort_keys=True)))
    explained = {}
    for firm in ("A", "B", "TEST0100007", "A03"):
        result = _run_cli(trained_store.env(), "explain", golden_inputs["csv"], "--id", firm)
        explained[firm] = result.stdout.split("\n")
    goldens.check("cli_explain", explained)


@pytest.mark.dask
def test_score_batch_command(
    golden_inputs: dict[str, Path], goldens: Goldens, trained_store: Any
) -> None:
    pytest.importorskip("distributed")
    out = golden_inputs["root"] / "batch"
    _run_cli(
        trained_store.env(),
        "score-batch",
        golden_inputs["panel"],
        "-o",
        out,
        "--explain",
        "--partition-rows",
        "100",
    )

    def parts(folder: Path) -> dict[str, Any]:
        frame = pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))])
        rows = frame.to_dict(orient="records")
        return {f"{r['source_file']}|{r['source_row']}|{r.get('field', '')}": r for r in rows}

    goldens.check("batch_scores", parts(out / "scores"))
    goldens.check("batch_errors", parts(out / "errors"))


@pytest.fixture(scope="module")
def api_client() -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from serving.app import create_app
    from serving.scoring.scorer import Scorer
    from tests.support.api import ListProvider, fit_bundle, make_records, settings_for

    bundle = fit_bundle(make_records(400, seed=1), seed=1)
    scorer = Scorer(bundle, model_name="srdi-potential", model_version="1")
    with TestClient(create_app(settings_for(), model_provider=ListProvider(scorer))) as client:
        yield client


def _json_records() -> list[dict[str, Any]]:
    return [
        {k: v for k, v in r.items() if v is not None and not (isinstance(v, float) and v != v)}
        for r in _records()
    ]


def test_score_endpoint(api_client: Any, goldens: Goldens) -> None:
    items = {}
    for k, record in enumerate(_json_records()):
        explain = "true" if k % 2 == 0 else "false"
        response = api_client.post(f"/v1/score?explain={explain}", json=record)
        items[record["company_id"]] = {"status": response.status_code, "body": response.json()}
    for row in BAD_ROWS:
        response = api_client.post("/v1/score", json=row)
        items[row["company_id"]] = {"status": response.status_code, "body": response.json()}
    goldens.check("api_score", items)


def test_batch_endpoint(api_client: Any, goldens: Goldens) -> None:
    body = {"records": _json_records()[:150] + BAD_ROWS}
    response = api_client.post("/v1/score/batch", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    items = {f"result|{r['company_id']}": r for r in data.pop("results")}
    items.update({f"error|{k}": e for k, e in enumerate(data.pop("errors"))})
    items["rest"] = data
    goldens.check("api_batch", items)


def test_screen_endpoint(api_client: Any, golden_inputs: dict[str, Path], goldens: Goldens) -> None:
    payload = golden_inputs["csv"].read_bytes()
    response = api_client.post(
        "/v1/screen", files={"file": ("firms.csv", io.BytesIO(payload), "text/csv")}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    items = {f"row|{r['company_id']}": r for r in data.pop("rows")}
    items.update({f"error|{k}": e for k, e in enumerate(data.pop("errors"))})
    items["rest"] = data
    goldens.check("api_screen", items)
