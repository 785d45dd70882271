"""What reading a file through ``FirmYearReader`` costs beside reading it as before.

``python -m bench.firm_years [--firms 20000] [--years 5] [--rounds 5]`` builds, from
random figures, three CSV files with Chinese vendor headers:

* ``firm-year``: one row per firm (the contract's layout, a candidate list);
* ``long``: one row per firm and 报告期, no ``_prev`` columns (a Wind/CSMAR panel);
* ``wide``: one row per firm, revenue, main business and R&D per year.

For each it measures, in CPU seconds (``time.process_time``), reading and validating
the whole file:

* baseline: ``iter_table_chunks`` → ``rename_columns`` → ``validate_frame`` per chunk,
  what ``srdi score`` did before layouts (a long or wide file is then *not* read as
  firm-years: its ``_prev`` figures stay empty, its year columns are ignored);
* ``FirmYearReader`` → ``validate_frame``, the same chunk size; a long file in
  several chunks is read twice (ids and figures first, then the chunks).

Rounds alternate baseline and reader; the table gives the medians, the ratio reader /
baseline and the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from features.firm_years import FirmYearReader
from features.io import iter_table_chunks, rename_columns
from features.validate import validate_frame


def _figures(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    revenue = np.exp(rng.normal(9.5, 1.0, n)).round(2)  # 万元
    return {
        "营业收入(万元)": revenue,
        "主营业务收入(万元)": (revenue * rng.uniform(0.6, 1.0, n)).round(2),
        "研发费用(万元)": (revenue * rng.uniform(0.0, 0.1, n)).round(2),
    }


def make_files(directory: Path, firms: int, years: int, seed: int = 7) -> dict[str, Path]:
    """Write the three layouts of the same random panel; return layout → path."""
    rng = np.random.default_rng(seed)
    ids = [f"91330100MA{k:08d}" for k in range(firms)]
    static = pd.DataFrame(
        {
            "统一社会信用代码": ids,
            "企业名称": [f"浙江示例{k}有限公司" for k in range(firms)],
            "所属省份": rng.choice(["浙江", "江苏", "广东", "山东"], firms),
            "所属行业": rng.choice(["C39", "C35", "C34", "I65"], firms),
            "员工人数": rng.integers(20, 900, firms),
            "毛利率(%)": rng.uniform(5, 60, firms).round(2),
            "资产负债率(%)": rng.uniform(10, 80, firms).round(2),
        }
    )
    first = 2025 - years + 1
    parts = []
    for year in range(first, 2026):
        part = static.copy()
        part.insert(2, "报告期", f"{year}-12-31")
        for name, values in _figures(rng, firms).items():
            part[name] = values
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    wide = static.copy()
    for year, part in zip(range(first, 2026), parts, strict=True):
        for name in ("营业收入(万元)", "主营业务收入(万元)", "研发费用(万元)"):
            wide[f"{name}{year}"] = part[name].to_numpy()
    latest = parts[-1].drop(columns="报告期").assign(年度=2025)
    paths = {"firm-year": directory / "firm_year.csv", "long": directory / "long.csv"}
    paths["wide"] = directory / "wide.csv"
    latest.to_csv(paths["firm-year"], index=False)
    long.to_csv(paths["long"], index=False)
    wide.to_csv(paths["wide"], index=False)
    return paths


def read_before(path: Path, chunk_rows: int) -> int:
    """Rows validated the way files were read before layouts."""
    valid = 0
    for offset, frame in iter_table_chunks(path, chunk_rows):
        valid += validate_frame(rename_columns(frame), row_offset=offset).n_valid
    return valid


def read_now(path: Path, chunk_rows: int) -> int:
    """Rows validated through the layout-aware reader (every firm-year kept)."""
    reader = FirmYearReader(path, chunk_rows)
    return sum(validate_frame(frame, row_offset=offset).n_valid for offset, frame in reader)


def cpu_seconds(fn: Callable[[Path, int], int], path: Path, chunk_rows: int) -> tuple[float, int]:
    """CPU seconds of one read, and what it returned."""
    start = time.process_time()
    out = fn(path, chunk_rows)
    return time.process_time() - start, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-firm-years-") as tmp:
        paths = make_files(Path(tmp), args.firms, args.years)
        print(
            f"{args.firms:,} firms × {args.years} years, chunks of {args.chunk_rows:,} rows; "
            f"CPU seconds, median of {args.rounds} alternating rounds"
        )
        header = f"{'layout':10s} {'rows':>9s} {'before s':>9s} {'reader s':>9s} {'ratio':>6s}"
        print(header + "  rows valid")
        for layout, path in paths.items():
            rows = sum(1 for _ in path.open("rb")) - 1
            before: list[float] = []
            now: list[float] = []
            valid = (0, 0)
            for _ in range(args.rounds):
                seconds, valid_before = cpu_seconds(read_before, path, args.chunk_rows)
                before.append(seconds)
                seconds, valid_now = cpu_seconds(read_now, path, args.chunk_rows)
                now.append(seconds)
                valid = (valid_before, valid_now)
            b, r = statistics.median(before), statistics.median(now)
            print(
                f"{layout:10s} {rows:9,d} {b:9.2f} {r:9.2f} {r / b:6.2f}  "
                f"before {valid[0]:,}, reader {valid[1]:,}"
            )
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
