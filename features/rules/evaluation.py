"""The result of :func:`evaluate_schemes`: arrays per scheme, views per firm."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from features.rules.report import scheme_json
from features.rules.results import SchemeResult
from features.rules.verdicts import VERDICT_LABELS


class SchemeEvaluation(Mapping[str, SchemeResult]):
    """Scheme results for ``n_rows`` firm-years, by scheme id.

    A read-only mapping: ``ev["cn_srdi_sme"]`` is a :class:`SchemeResult`.
    """

    def __init__(
        self,
        results: Mapping[str, SchemeResult],
        n_rows: int,
        identity: Mapping[str, NDArray[Any]],
    ) -> None:
        self._results = dict(results)
        self._identity = dict(identity)
        self.n_rows = n_rows

    @property
    def scheme_ids(self) -> tuple[str, ...]:
        """Evaluated scheme ids, in evaluation order."""
        return tuple(self._results)

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

    def summary_frame(self) -> pd.DataFrame:
        """One row per firm, ready to write as CSV/Parquet.

        Columns: ``company_id`` and ``fiscal_year`` when given, then per scheme
        ``{sid}_verdict`` (the verdict strings), ``{sid}_points``
        and ``{sid}_points_upper`` for scored schemes, and the grade of graded
        schemes (``kr_global_strong_small_export_tier``).
        """
        labels = np.array(VERDICT_LABELS, dtype=object)
        index = pd.RangeIndex(self.n_rows)
        data: dict[str, object] = {}
        if "company_id" in self._identity:
            data["company_id"] = pd.Series(self._identity["company_id"], dtype=object, index=index)
        if "fiscal_year" in self._identity:
            years = self._identity["fiscal_year"]
            whole = np.isnan(years) | (years == np.round(years))
            data["fiscal_year"] = pd.array(years, dtype="Int64") if whole.all() else years
        for sid, result in self._results.items():
            # object dtype: building pandas' inferred string dtype costs ten times more.
            data[f"{sid}_verdict"] = pd.Series(labels[result.verdict], dtype=object, index=index)
            if result.points is not None and result.points_upper is not None:
                data[f"{sid}_points"] = result.points
                data[f"{sid}_points_upper"] = result.points_upper
            if result.grade is not None:
                data[f"{sid}_{result.grade_name}"] = pd.Series(
                    result.grade, dtype=object, index=index
                )
        return pd.DataFrame(data, index=index)

    def firm(self, i: int) -> list[dict[str, object]]:
        """The ``schemes`` JSON of ``docs/architecture.md`` for firm ``i``."""
        if not -self.n_rows <= i < self.n_rows:
            raise IndexError(f"firm index {i} out of range for {self.n_rows} rows")
        return [scheme_json(result, i) for result in self._results.values()]
