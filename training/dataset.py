"""From a panel directory to labelled examples.

A panel directory holds ``financials`` (one row per firm-year, the input-record
fields) and ``certifications`` (``company_id``, ``tier``, ``granted_year``,
``expires_year``), each as ``.parquet`` (a file or a folder of parts) or ``.csv``;
the synthetic world adds ``oracle.parquet``. Bad rows are reported with the table,
row, field and rule, and left out; every good row goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.tiers import CERTIFIED_TIERS
from training.labels import make_labels

if TYPE_CHECKING:
    from features.columns import Columns
    from features.firm_years import InputReport
    from features.validate import RowError

__all__ = [
    "CERTIFICATE_VALIDITY_YEARS",
    "Examples",
    "Panel",
    "PanelError",
    "PanelIssue",
    "PanelRows",
    "build_examples",
    "clean_certifications",
    "data_hash",
    "duplicate_firm_year",
    "examples_for",
    "find_table",
    "load_panel",
    "read_panel_table",
    "subset_columns",
    "validate_financials",
]

# MIIT certificates run three years unless renewed (工信部企业〔2022〕63号).
CERTIFICATE_VALIDITY_YEARS = 3
TABLES = ("financials", "certifications", "oracle")


class PanelError(ValueError):
    """The panel directory cannot be read as a training panel."""


@dataclass(frozen=True)
class PanelIssue:
    """One bad input row: which table, row, field and rule."""

    table: str
    row: int
    field: str
    value: object
    message: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row}, {self.field}={self.value!r}: {self.message}"


def duplicate_firm_year(row: int, year: object, company_id: object) -> PanelIssue:
    """The issue of a firm-year seen before in the financials (the first is kept)."""
    return PanelIssue(
        "financials",
        row,
        "fiscal_year",
        year,
        f"duplicate firm-year for company_id {company_id!r}; the first is kept",
    )


def find_table(directory: Path, stem: str) -> Path | None:
    """The panel table ``stem`` in ``directory`` (``.parquet``, then ``.csv``, then ``.xlsx``)."""
    for suffix in (".parquet", ".csv", ".xlsx"):
        path = directory / f"{stem}{suffix}"
        if path.exists():
            return path
    return None


def read_panel_table(path: Path) -> pd.DataFrame:
    """Read a panel table found by :func:`find_table`."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    from features.io import read_table

    return read_table(path)


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def data_hash(paths: list[Path]) -> str:
    """Return a SHA-256 over the names and bytes of the given files or folders."""
    digest = hashlib.sha256()
    for path in paths:
        for file in _files(path):
            digest.update(file.name.encode())
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def clean_certifications(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[PanelIssue]]:
    """Check certification records and return the good ones with integer years.

    A missing ``expires_year`` means the standard three-year validity.

    Returns
    -------
    (pandas.DataFrame, list of PanelIssue)
        Clean rows (``company_id``, ``tier``, ``granted_year``, ``expires_year``)
        and one issue per rejected row.
    """
    missing = {"company_id", "tier", "granted_year"} - set(raw.columns)
    if missing:
        raise PanelError(f"certifications lack the required column(s) {sorted(missing)}")
    tier = raw["tier"].astype("string").str.strip().str.lower()
    granted = pd.to_numeric(raw["granted_year"], errors="coerce")
    if "expires_year" in raw.columns:
        expires = pd.to_numeric(raw["expires_year"], errors="coerce")
    else:
        expires = pd.Series(np.nan, index=raw.index)
    expires = expires.fillna(granted + CERTIFICATE_VALIDITY_YEARS)
    company = raw["company_id"].astype("string").str.strip()

    checks = [
        ("company_id", company.isna() | (company == ""), "company_id is required"),
        (
            "tier",
            ~tier.isin(list(CERTIFIED_TIERS)).fillna(False),
            f"tier must be one of {sorted(CERTIFIED_TIERS)}",
        ),
        ("granted_year", granted.isna(), "granted_year must be a year"),
        ("expires_year", (expires < granted).fillna(False), "expires_year is before granted_year"),
    ]
    bad = np.zeros(len(raw), dtype=bool)
    issues: list[PanelIssue] = []
    for column, mask, message in checks:
        flagged = np.asarray(mask, dtype=bool) & ~bad
        for position in np.flatnonzero(flagged):
            issues.append(
                PanelIssue(
                    "certifications", int(position), column, raw[column].iloc[position], message
                )
            )
        bad |= flagged
    clean = pd.DataFrame(
        {
            "company_id": company[~bad].astype(object).to_numpy(),
            "tier": tier[~bad].astype(object).to_numpy(),
            "granted_year": granted[~bad].astype(np.int64).to_numpy(),
            "expires_year": expires[~bad].astype(np.int64).to_numpy(),
        }
    )
    return clean, issues


@dataclass(frozen=True)
class Panel:
    """A firm-year panel read from disk."""

    directory: Path
    financials: pd.DataFrame
    certifications: pd.DataFrame
    oracle: pd.DataFrame | None
    issues: list[PanelIssue]
    data_hash: str


def load_panel(directory: str | Path) -> Panel:
    """Read ``financials``, ``certifications`` and (optional) ``oracle`` from a directory.

    Raises
    ------
    PanelError
        When the directory or a required table is missing.
    """
    path = Path(directory)
    if not path.is_dir():
        raise PanelError(
            f"panel directory {path} does not exist; generate the synthetic world with "
            "`srdi synth --out DIR` or point --data at your own panel"
        )
    found = {stem: find_table(path, stem) for stem in TABLES}
    for stem in ("financials", "certifications"):
        if found[stem] is None:
            raise PanelError(f"{path} has no {stem}.parquet or {stem}.csv")
    financials_path, certifications_path = found["financials"], found["certifications"]
    assert financials_path is not None and certifications_path is not None
    certifications, issues = clean_certifications(read_panel_table(certifications_path))
    oracle_path = found["oracle"]
    return Panel(
        directory=path,
        financials=read_panel_table(financials_path),
        certifications=certifications,
        oracle=read_panel_table(oracle_path) if oracle_path is not None else None,
        issues=issues,
        data_hash=data_hash([financials_path, certifications_path]),
    )


def subset_columns(columns: Columns, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Return the columns restricted to the rows selected by a boolean mask or index."""
    return {name: values[mask] for name, values in columns.items()}


@dataclass(frozen=True)
class Examples:
    """Labelled candidate firm-years (complete labels only), aligned row by row.

    Attributes
    ----------
    columns : Columns
        Validated input columns.
    y : numpy.ndarray
        0/1 labels.
    year : numpy.ndarray
        Fiscal year (int).
    company_id : numpy.ndarray
        Firm identifiers (object).
    source_row : numpy.ndarray
        Row position in the financials table.
    oracle : numpy.ndarray or None
        The simulator's true probability, NaN where it is not given.
    """

    columns: dict[str, np.ndarray]
    y: np.ndarray
    year: np.ndarray
    company_id: np.ndarray
    source_row: np.ndarray
    oracle: np.ndarray | None
    last_year: int
    issues: list[PanelIssue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    input: InputReport | None = None

    def __len__(self) -> int:
        return int(self.y.size)

    def subset(self, mask: np.ndarray) -> Examples:
        """Return the examples selected by a boolean mask (issues and counts kept)."""
        return Examples(
            columns=subset_columns(self.columns, mask),
            y=self.y[mask],
            year=self.year[mask],
            company_id=self.company_id[mask],
            source_row=self.source_row[mask],
            oracle=None if self.oracle is None else self.oracle[mask],
            last_year=self.last_year,
            issues=self.issues,
            counts=self.counts,
            input=self.input,
        )


def _validation_issues(errors: Sequence[RowError]) -> list[PanelIssue]:
    return [PanelIssue("financials", e.row, e.field, e.value, e.message) for e in errors]


def _oracle_probability(
    oracle: pd.DataFrame | None,
    company_id: np.ndarray,
    year: np.ndarray,
    *,
    target: str,
    horizon: int,
) -> np.ndarray | None:
    if oracle is None:
        return None
    table = oracle
    if "target" in table.columns:
        table = table.loc[table["target"].astype(str) == target]
    if "horizon" in table.columns:
        table = table.loc[pd.to_numeric(table["horizon"], errors="coerce") == horizon]
    if table.empty:
        return None
    keys = pd.DataFrame(
        {"company_id": company_id.astype(str), "fiscal_year": year.astype(np.int64)}
    )
    right = pd.DataFrame(
        {
            "company_id": table["company_id"].astype(str).to_numpy(),
            "fiscal_year": pd.to_numeric(table["fiscal_year"]).astype(np.int64).to_numpy(),
            "probability": pd.to_numeric(table["probability"], errors="coerce").to_numpy(),
        }
    ).drop_duplicates(["company_id", "fiscal_year"])
    merged = keys.merge(right, on=["company_id", "fiscal_year"], how="left")
    return merged["probability"].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class PanelRows:
    """The financials validated once: every good row, whatever the target.

    Attributes
    ----------
    columns : Columns
        Validated input columns of the good rows.
    source_row : numpy.ndarray
        Row position in the financials table.
    duplicated : numpy.ndarray of bool
        A firm-year seen before (left out of every target's examples).
    final_year : int
        Last year whose certifications are observed.
    issues : list of PanelIssue
        Bad rows of both tables, then the duplicates.
    n_input : int
        Rows of the financials table.
    input : InputReport or None
        How the financials were read (layout, columns matched and ignored).
    """

    columns: dict[str, np.ndarray]
    source_row: np.ndarray
    duplicated: np.ndarray
    final_year: int
    issues: list[PanelIssue]
    n_input: int
    input: InputReport | None = None


def validate_financials(
    panel: Panel, *, last_year: int | None = None, strict: bool = False
) -> PanelRows:
    """Validate the panel's financials once; every target's examples are drawn from them.

    The financials may come in a vendor's long or wide layout
    (:class:`features.firm_years.FirmYearReader`): they become firm-year rows with
    the ``_prev`` figures filled from earlier years; row numbers stay the table's.

    Parameters
    ----------
    panel : Panel
    last_year : int, optional
        Last year whose certifications are observed; default the panel's last
        fiscal year.
    strict : bool
        Refuse financials with a column that matches no field
        (:class:`features.firm_years.UnmatchedColumnsError`).

    Raises
    ------
    PanelError
        When no row has a valid fiscal year.
    """
    from features.firm_years import FirmYearReader
    from features.validate import validate_frame

    reader = FirmYearReader(panel.financials, None, strict=strict)
    frames = [frame for _, frame in reader]
    validated = validate_frame(frames[0])
    columns = {name: np.asarray(values) for name, values in validated.columns.items()}
    source_row = reader.source_rows(validated.rows)
    issues = list(panel.issues) + _validation_issues(reader.source_errors(validated.errors))
    company = np.asarray(columns["company_id"], dtype=object)
    year_f = np.asarray(columns["fiscal_year"], dtype=np.float64)

    duplicated = pd.DataFrame({"c": company, "y": year_f}).duplicated().to_numpy()
    for position in np.flatnonzero(duplicated):
        issues.append(
            duplicate_firm_year(int(source_row[position]), year_f[position], company[position])
        )
    if not np.isfinite(year_f).any():
        raise PanelError("the financials have no valid row with a fiscal_year")
    final_year = int(np.nanmax(year_f)) if last_year is None else int(last_year)
    return PanelRows(
        columns=columns,
        source_row=source_row,
        duplicated=duplicated,
        final_year=final_year,
        issues=issues,
        n_input=len(panel.financials),
        input=reader.report,
    )


def examples_for(
    rows: PanelRows,
    panel: Panel,
    *,
    target: str,
    horizon: int,
) -> Examples:
    """Label the validated rows for one target and keep its complete candidates.

    Parameters
    ----------
    rows : PanelRows
        :func:`validate_financials` of ``panel``.
    panel : Panel
        Supplies the certifications and the oracle.
    target : {"srdi_sme", "little_giant", "retention"}
    horizon : int
        H in years.

    Returns
    -------
    Examples
    """
    columns = rows.columns
    company = np.asarray(columns["company_id"], dtype=object)
    year_f = np.asarray(columns["fiscal_year"], dtype=np.float64)
    labels = make_labels(
        company,
        year_f,
        panel.certifications,
        target=target,
        horizon=horizon,
        last_year=rows.final_year,
    )
    usable = np.flatnonzero(labels.usable & ~rows.duplicated)
    # A canonical row order (year, then firm) makes a run independent of the order
    # of the input file.
    canonical = pd.DataFrame({"year": year_f[usable], "company": company[usable].astype(str)})
    keep = usable[canonical.sort_values(["year", "company"], kind="stable").index.to_numpy()]
    year = year_f[keep].astype(np.int64)
    company_kept = company[keep]
    counts = {
        "financial_rows": rows.n_input,
        "valid_rows": int(year_f.size),
        "candidate_rows": int((labels.candidate & ~rows.duplicated).sum()),
        "labelled_rows": int(keep.size),
        "positives": int(np.nansum(labels.label[keep])),
        "bad_rows": len(rows.issues),
    }
    return Examples(
        columns=subset_columns(columns, keep),
        y=labels.label[keep],
        year=year,
        company_id=company_kept,
        source_row=rows.source_row[keep],
        oracle=_oracle_probability(
            panel.oracle, company_kept, year, target=target, horizon=horizon
        ),
        last_year=rows.final_year,
        issues=rows.issues,
        counts=counts,
        input=rows.input,
    )


def build_examples(
    panel: Panel,
    *,
    target: str,
    horizon: int,
    last_year: int | None = None,
    strict: bool = False,
) -> Examples:
    """Validate the financials, build labels and keep complete candidate rows.

    :func:`validate_financials` then :func:`examples_for`; a run training several
    targets validates once and calls :func:`examples_for` per target.

    Parameters
    ----------
    panel : Panel
    target : {"srdi_sme", "little_giant", "retention"}
    horizon : int
        H in years.
    last_year : int, optional
        Last year whose certifications are observed; default the panel's last
        fiscal year.
    strict : bool
        Refuse financials with a column that matches no field
        (:class:`features.firm_years.UnmatchedColumnsError`).

    Returns
    -------
    Examples
    """
    rows = validate_financials(panel, last_year=last_year, strict=strict)
    return examples_for(rows, panel, target=target, horizon=horizon)
