"""The MLflow "model from code" wrapper around :class:`srdi.core.bundle.ModelBundle`.

MLflow logs this file itself (``python_model=<path of this file>``) instead of a
pickled object; the bundle's text files travel as the ``bundle`` artifact. Loading
the model executes this file, so it only defines the class and hands an instance
to :func:`mlflow.models.set_model` (that call is MLflow's mechanism, and cheap:
nothing is read until :meth:`SRDIPotentialModel.load_context`).

``predict`` takes a DataFrame of input records (the public field names), validates
it, derives the features and returns one row per input row: ``company_id``,
``fiscal_year``, ``score``, ``percentile``, ``band``, ``status`` and ``error``. A
bad row gets ``status = "invalid"`` and the reason in ``error``; the good rows are
scored all the same. ``status`` says whether the model's question asks about the
firm (``features.ladder``): ``candidate`` when it does, ``certified`` when the firm
already holds the model's target tier, ``not_asked`` otherwise (a firm on another
rung, or a status not re-reviewed within the horizon): its score is the model's
arithmetic, not an answer the model was trained to give.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from srdi.core.bundle import ModelBundle

__all__ = ["OUTPUT_COLUMNS", "SRDIPotentialModel", "score_frame"]

OUTPUT_COLUMNS = ("company_id", "fiscal_year", "score", "percentile", "band", "status", "error")


def score_frame(bundle: ModelBundle, frame: pd.DataFrame, *, num_threads: int = 1) -> pd.DataFrame:
    """Score a DataFrame of input records with a bundle, one output row per input row.

    Parameters
    ----------
    bundle : ModelBundle
    frame : pandas.DataFrame
        Input records with the public field names.
    num_threads : int
        LightGBM threads for this call.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS`, in input order.
    """
    from features.validate import validate_frame

    n = len(frame)
    frame = frame.reset_index(drop=True)
    validated = validate_frame(frame)
    rows = np.asarray(validated.rows, dtype=np.int64)
    score = np.full(n, np.nan)
    if rows.size:
        X = bundle.transform(validated.columns)
        score[rows] = bundle.predict(X, num_threads=num_threads)
    percentile = bundle.percentile(score)
    band = bundle.band(percentile)

    status = np.full(n, "invalid", dtype=object)
    if rows.size:
        status[rows] = _status(bundle, validated.columns)

    error = np.full(n, None, dtype=object)
    messages: dict[int, list[str]] = {}
    for row_error in validated.errors:
        row = int(row_error.row)
        messages.setdefault(row, []).append(f"{row_error.field}: {row_error.message}")
    for row, texts in messages.items():
        if 0 <= row < n and status[row] == "invalid":
            error[row] = "; ".join(texts)

    company = frame["company_id"] if "company_id" in frame else pd.Series([None] * n)
    year = pd.to_numeric(
        frame["fiscal_year"] if "fiscal_year" in frame else pd.Series([None] * n), errors="coerce"
    ).to_numpy(dtype=np.float64)
    # Object columns with None (not NaN) so the JSON of `mlflow models serve` is valid.
    return pd.DataFrame(
        {
            "company_id": _nullable(company.to_numpy(dtype=object)),
            "fiscal_year": _nullable(year, as_int=True),
            "score": _nullable(score),
            "percentile": _nullable(percentile),
            "band": band,
            "status": status,
            "error": error,
        },
        dtype=object,
    )


def _status(bundle: ModelBundle, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """``candidate`` / ``certified`` / ``not_asked`` of each valid row (see the module)."""
    from features.ladder import applies
    from features.tiers import CERTIFIED_TIERS, tiers_at_or_above

    asked = applies(bundle.target, columns, int(bundle.horizon))
    out = np.where(asked, "candidate", "not_asked").astype(object)
    if bundle.target in CERTIFIED_TIERS and "current_tier" in columns:
        tier = np.asarray(columns["current_tier"], dtype=object)
        holding = pd.Series(tier).isin(tiers_at_or_above(bundle.target)).to_numpy()
        out[holding] = "certified"
    return out


def _nullable(values: np.ndarray, *, as_int: bool = False) -> np.ndarray:
    """Return an object array with ``None`` where a value is missing."""
    out = np.empty(values.shape[0], dtype=object)
    missing = pd.isna(values)
    kept = values[~missing]
    out[~missing] = (kept.astype(np.int64) if as_int else kept).tolist()
    out[missing] = None
    return out


class SRDIPotentialModel(PythonModel):
    """Scores input records with the bundle shipped as the ``bundle`` artifact."""

    def __init__(self) -> None:
        self._bundle: ModelBundle | None = None

    def load_context(self, context: PythonModelContext) -> None:
        """Read the bundle's text files (refuses a bundle that does not match this code)."""
        self._bundle = ModelBundle.load(context.artifacts["bundle"])

    @property
    def bundle(self) -> ModelBundle:
        """The loaded bundle."""
        if self._bundle is None:
            raise RuntimeError("the model bundle is not loaded; MLflow calls load_context first")
        return self._bundle

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Return score, percentile, band, status and error for each input record."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return score_frame(self.bundle, frame)


set_model(SRDIPotentialModel())
