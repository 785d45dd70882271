"""Determinism, argument errors and the ``srdi synth`` verb."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from srdi.cli import build_app
from training.synth import TABLE_FILES, WorldError, generate_world, write_world

FILES = [*TABLE_FILES.values(), "world.json"]


def _digests(directory: Path) -> dict[str, str]:
    return {f: hashlib.sha256((directory / f).read_bytes()).hexdigest() for f in FILES}


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    write_world(generate_world(300, 42, oracle_replicates=4), tmp_path / "a")
    write_world(generate_world(300, 42, oracle_replicates=4), tmp_path / "b")
    write_world(generate_world(300, 43, oracle_replicates=4), tmp_path / "c")
    a, b, c = (_digests(tmp_path / d) for d in "abc")
    assert a == b
    assert all(a[f] != c[f] for f in TABLE_FILES.values())


@pytest.mark.parametrize("n_firms", [0, -5, 2.5, True, "100"])
def test_bad_firm_counts_are_refused(n_firms: object) -> None:
    with pytest.raises(WorldError, match="n_firms must be a whole number >= 1"):
        generate_world(n_firms, 1)  # type: ignore[arg-type]


def test_bad_seed_and_replicas_are_refused() -> None:
    with pytest.raises(WorldError, match="seed must be a whole number >= 0"):
        generate_world(10, -1)
    with pytest.raises(WorldError, match="oracle_replicates must be a whole number >= 1"):
        generate_world(10, 1, oracle_replicates=0)


def test_a_file_in_the_way_of_the_output_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    world = generate_world(5, 1, oracle_replicates=1)
    with pytest.raises(WorldError, match="exists and is not a directory"):
        write_world(world, blocker)
    with pytest.raises(WorldError, match="cannot create the output directory"):
        write_world(world, blocker / "sub")


def test_a_tiny_world_still_has_every_table(tmp_path: Path) -> None:
    world = generate_world(1, 0, oracle_replicates=1)
    written = write_world(world, tmp_path)
    assert sorted(p.name for p in written) == sorted(FILES)
    assert world.financials.num_rows >= 1
    # No Little Giant to describe: the figure is JSON null, not NaN (invalid JSON).
    meta = json.loads((tmp_path / "world.json").read_text(encoding="utf-8"))
    assert meta["calibration"]["lg_median_age"] is None


def test_cli_describes_a_world_too_small_for_little_giants(tmp_path: Path) -> None:
    code, output = _run("synth", "--firms", "3", "--out", str(tmp_path))
    assert code == 0, output
    assert "n/a" in output


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def test_cli_writes_a_world(tmp_path: Path) -> None:
    out = tmp_path / "world"
    code, output = _run("synth", "--firms", "120", "--seed", "3", "--out", str(out))
    assert code == 0, output
    assert "Little Giants in 2025" in output
    meta = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert (meta["n_firms"], meta["seed"]) == (120, 3)
    assert all((out / f).is_file() for f in FILES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--firms", "0"], "--firms must be at least 1, got 0"),
        (["--firms", "10", "--seed", "-2"], "--seed must be 0 or more"),
        (["--firms", "10", "--replicates", "0"], "--replicates must be at least 1"),
    ],
)
def test_cli_refuses_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = _run("synth", *args, "--out", str(tmp_path / "w"))
    assert code == 2
    assert message in output
    assert not (tmp_path / "w").exists()


def test_cli_refuses_an_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, output = _run("synth", "--firms", "10", "--out", str(blocker / "world"))
    assert code == 2
    assert "cannot create the output directory" in output
