"""Entry points of the rule engine and the result they return.

:func:`evaluate_schemes` runs the compiled plan once for the verdicts and points
(what a screen writes) and returns a :class:`SchemeEvaluation`, a read view whose
criterion arrays, gaps and JSON are computed by the same plan when first asked
for. :func:`schemes_json` is the one-call path for the ``schemes`` JSON of a few
firms (the scorer's): one plan run at display level, then the writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from features.columns import Columns
from features.rules.currency import CurrencyRates
from features.rules.distinctive import DistinctivePlugin
from features.rules.engine import CRITERIA, DISPLAY, SUMMARY, PlanOutput, run_plan
from features.rules.inputs import REVIEW_HORIZON, PlanInputs, prepare_inputs
from features.rules.plan import RulePlan, plan_for
from features.rules.results import SchemeResult
from features.rules.verdicts import REVIEW_LABELS, VERDICT_LABELS
from features.rules.writer import review_dicts as _review_dicts
from features.rules.writer import write_schemes

__all__ = [
    "SchemeEvaluation",
    "SummaryColumn",
    "evaluate_plan",
    "evaluate_schemes",
    "schemes_json",
]

# Firms per display run when writing the JSON of a whole evaluation: the display
# matrices of a block stay small however many firms are written.
JSON_BLOCK_ROWS = 2_048


@dataclass(frozen=True)
class SummaryColumn:
    """One column of the summary table: numbers, or codes into ``labels``.

    ``whole``: the numbers are whole (years); ``NaN`` is a missing value.
    """

    values: NDArray[Any]
    labels: tuple[str | None, ...] | None = None
    whole: bool = False

    def decoded(self) -> NDArray[Any]:
        """The column's values (labels looked up for coded columns)."""
        if self.labels is None:
            return self.values
        out: NDArray[np.object_] = np.array(self.labels, dtype=object)[self.values]
        return out


class SchemeEvaluation(Mapping[str, SchemeResult]):
    """Scheme results for ``n_rows`` firm-years, by scheme id.

    A read-only mapping: ``ev["cn_srdi_sme"]`` is a :class:`SchemeResult`. Build it
    with :func:`evaluate_schemes`.
    """

    def __init__(self, plan: RulePlan, inputs: PlanInputs, summary: PlanOutput) -> None:
        self.plan = plan
        self.inputs = inputs
        self.summary_output = summary
        self.n_rows = inputs.n_rows
        self._full: PlanOutput | None = None  # the criterion or display run, once made
        self._results = {s.table.scheme_id: SchemeResult(self, s) for s in plan.schemes}

    @property
    def scheme_ids(self) -> tuple[str, ...]:
        """Evaluated scheme ids, in evaluation order."""
        return self.plan.scheme_ids

    def __getitem__(self, scheme_id: str) -> SchemeResult:
        try:
            return self._results[scheme_id]
        except KeyError:
            raise KeyError(
                f"scheme {scheme_id!r} was not evaluated; evaluated: {list(self._results)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def _output(self, level: int) -> PlanOutput:
        if self._full is None or self._full.level < level:
            self._full = run_plan(self.plan, self.inputs, level)
        return self._full

    @property
    def criteria_output(self) -> PlanOutput:
        """The plan's criterion-level arrays for every firm (one more run, made once)."""
        return self._output(CRITERIA)

    @property
    def display_output(self) -> PlanOutput:
        """The plan's display arrays for every firm (one more run, made once)."""
        return self._output(DISPLAY)

    def summary_columns(self) -> dict[str, SummaryColumn]:
        """The per-scheme columns of the summary table, by name, in order.

        Per scheme ``{sid}_verdict`` (codes into the verdict labels), ``{sid}_points``
        and ``{sid}_points_upper`` for scored schemes, and the grade of graded schemes
        (``kr_global_strong_small_export_tier``, codes into its labels). The CSV and
        Parquet writers of the CLI and the Dask batch all take their columns here.
        """
        out: dict[str, SummaryColumn] = {}
        for sid, result in self._results.items():
            out[f"{sid}_verdict"] = SummaryColumn(result.verdict, VERDICT_LABELS)
            if result.points is not None and result.points_upper is not None:
                out[f"{sid}_points"] = SummaryColumn(result.points)
                out[f"{sid}_points_upper"] = SummaryColumn(result.points_upper)
            codes = result.grade_codes
            if codes is not None:
                out[f"{sid}_{result.grade_name}"] = SummaryColumn(codes, result.grade_labels)
        if self.plan.review.size:
            out.update(self.review_columns())
        return out

    def review_columns(self) -> dict[str, SummaryColumn]:
        """The re-review of each certified firm's held tier, one column each.

        ``re_review_year`` (``tier_since`` + 3; NaN where no tier is held or its
        year is unknown), ``re_review_due`` (``yes`` when it falls within
        ``fiscal_year`` + the horizon, ``no``, or empty) and ``re_review_verdict``
        (``pass``, ``fail``, ``undetermined``, or empty where no tier is held): the
        held tier's table evaluated without the "already certified" override.
        """
        out = self.summary_output
        return {
            "re_review_year": SummaryColumn(out.review_year, whole=True),
            # Codes -1 (none or unknown), 0, 1; the label after "yes" is the empty one.
            "re_review_due": SummaryColumn(
                np.where(out.review_due >= 0, out.review_due, 2).astype(np.intp),
                ("no", "yes", None),
            ),
            "re_review_verdict": SummaryColumn(
                np.where(out.review_verdict >= 0, out.review_verdict, len(REVIEW_LABELS) - 1),
                REVIEW_LABELS,
            ),
        }

    def summary_frame(self) -> pd.DataFrame:
        """One row per firm, ready to write as CSV/Parquet.

        Columns: ``company_id`` and ``fiscal_year`` when given, then
        :meth:`summary_columns` (labels as text).
        """
        index = pd.RangeIndex(self.n_rows)
        data: dict[str, object] = {}
        identity = self.inputs.identity
        if "company_id" in identity:
            data["company_id"] = pd.Series(identity["company_id"], dtype=object, index=index)
        if "fiscal_year" in identity:
            years = identity["fiscal_year"]
            whole = np.isnan(years) | (years == np.round(years))
            data["fiscal_year"] = pd.array(years, dtype="Int64") if whole.all() else years
        for name, column in self.summary_columns().items():
            if column.whole:
                missing = np.isnan(column.values)
                whole = np.where(missing, 0, column.values).astype(np.int64)
                data[name] = pd.arrays.IntegerArray(whole, missing)
            elif column.labels is None:
                data[name] = column.values
            else:
                # object dtype: building pandas' inferred string dtype costs ten times more.
                data[name] = pd.Series(column.decoded(), dtype=object, index=index)
        return pd.DataFrame(data, index=index)

    def reviews(self) -> list[dict[str, Any] | None]:
        """Per firm, its held tier's ``re_review`` dict (as in the JSON), or ``None``."""
        return _review_dicts(self.summary_output)

    def assumptions(self) -> list[list[tuple[str, str]]]:
        """Per firm, ``(scheme id, sentence)`` of every assumption a verdict rests on.

        The same sentences as the JSON's ``assumptions`` lists, from the criterion-level
        run (no gap texts written).
        """
        stated = self.criteria_output.stated
        out: list[list[tuple[str, str]]] = [[] for _ in range(self.n_rows)]
        if stated is None:
            return out
        for scheme in self.plan.schemes:
            sid = scheme.table.scheme_id
            for row, sentence in scheme.assumptions:
                for i in np.flatnonzero(stated[row]).tolist():
                    out[i].append((sid, sentence))
        return out

    def iter_json(self, block_rows: int = JSON_BLOCK_ROWS) -> Iterator[list[dict[str, Any]]]:
        """Yield every firm's ``schemes`` list in row order, ``block_rows`` at a time."""
        for start in range(0, self.n_rows, block_rows):
            rows = slice(start, min(start + block_rows, self.n_rows))
            yield from write_schemes(self.plan, run_plan(self.plan, self.inputs, DISPLAY, rows))

    def json(self) -> list[list[dict[str, Any]]]:
        """Every firm's ``schemes`` list (``docs/architecture.md``), in row order."""
        return list(self.iter_json())

    def firm(self, i: int) -> list[dict[str, object]]:
        """The ``schemes`` JSON of ``docs/architecture.md`` for firm ``i``."""
        if not -self.n_rows <= i < self.n_rows:
            raise IndexError(f"firm index {i} out of range for {self.n_rows} rows")
        i %= self.n_rows
        output = run_plan(self.plan, self.inputs, DISPLAY, slice(i, i + 1))
        firm: list[dict[str, object]] = write_schemes(self.plan, output)[0]
        return firm


def _columns(columns: Columns | pd.DataFrame) -> Columns:
    if isinstance(columns, pd.DataFrame):
        return {str(name): columns[name].to_numpy() for name in columns.columns}
    return columns


def evaluate_schemes(
    columns: Columns | pd.DataFrame,
    schemes: Iterable[str] | str | None = None,
    rates: CurrencyRates | None = None,
    distinctive: Mapping[str, DistinctivePlugin] | None = None,
    horizon: int = REVIEW_HORIZON,
) -> SchemeEvaluation:
    """Evaluate scheme rule tables for every firm-year.

    A record of fiscal year t is read as an application made in t+1: its year-t
    figures are the "prior-year" figures and ``_prev`` is year t-1.

    Parameters
    ----------
    columns
        Validated columns (``docs/architecture.md``): numeric fields float64 with
        ``NaN`` = unknown, booleans 1.0/0.0/NaN, text/enum fields object arrays. A
        DataFrame of the same is accepted. Absent optional columns are unknown.
    schemes
        Scheme ids to evaluate, in order (one id may be given as a string);
        ``None`` evaluates all eight.
    rates
        CNY per EUR/JPY/KRW/USD for the foreign schemes; defaults to
        :class:`CurrencyRates` ``()``.
    distinctive
        Plug-ins for the provincial "distinctive" indicators, keyed by canonical
        province (``"Zhejiang"``); provinces without one get the neutral default.
    horizon
        A certified firm's re-review is "due" when it falls in ``fiscal_year`` +
        ``horizon`` or earlier (default: the model's label horizon, 2).

    Returns
    -------
    SchemeEvaluation
        Per-scheme results; ``ev["cn_srdi_sme"].verdict`` etc.

    Raises
    ------
    ValueError
        For an unknown scheme id, columns of different lengths, a non-numeric
        numeric field, an unknown enum value, or a plug-in returning bad points.
    """
    return evaluate_plan(plan_for(schemes), columns, rates, distinctive, horizon)


def evaluate_plan(
    plan: RulePlan,
    columns: Columns | pd.DataFrame,
    rates: CurrencyRates | None = None,
    distinctive: Mapping[str, DistinctivePlugin] | None = None,
    horizon: int = REVIEW_HORIZON,
) -> SchemeEvaluation:
    """:func:`evaluate_schemes` with a plan of one's own (``features.rules.compile_plan``)."""
    inputs = prepare_inputs(
        plan, _columns(columns), rates or CurrencyRates(), distinctive or {}, horizon
    )
    return SchemeEvaluation(plan, inputs, run_plan(plan, inputs, SUMMARY))


def schemes_json(
    columns: Columns | pd.DataFrame,
    schemes: Iterable[str] | str | None = None,
    rates: CurrencyRates | None = None,
    distinctive: Mapping[str, DistinctivePlugin] | None = None,
    horizon: int = REVIEW_HORIZON,
) -> list[list[dict[str, Any]]]:
    """Every firm's ``schemes`` list (``docs/architecture.md``) in one plan run.

    Takes the arguments of :func:`evaluate_schemes`; ``out[i]`` equals
    ``evaluate_schemes(...).firm(i)``. The scorer's path for one record or a few.

    Raises
    ------
    ValueError
        As :func:`evaluate_schemes`.
    """
    plan = plan_for(schemes)
    inputs = prepare_inputs(
        plan, _columns(columns), rates or CurrencyRates(), distinctive or {}, horizon
    )
    return write_schemes(plan, run_plan(plan, inputs, DISPLAY))
