"""What the world publishes: Arrow tables in the panel contract of DESIGN.md.

The financials carry the holes real data has (customer and market-share fields
most often, others rarely); the certification review saw the complete values. Column
types come from :data:`features.fields.FIELDS`, the one declaration of the input
contract: ``int`` → int64, ``float``/``share`` → float64, ``bool`` → bool,
``text``/``enum`` → string, all nullable.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from features.fields import FIELDS
from features.tiers import TIER_CHOICES
from training.synth.config import FIRST_YEAR, HORIZON, LAST_YEAR, ORACLE_TARGETS, Missingness
from training.synth.firms import Firms, FloatArray
from training.synth.oracle import OracleYear
from training.synth.panel import record_columns
from training.synth.state import FirmState
from training.synth.timeline import History

__all__ = [
    "CERTIFICATIONS_SCHEMA",
    "FINANCIALS_SCHEMA",
    "ORACLE_SCHEMA",
    "certifications_table",
    "financials_table",
    "latent_table",
    "oracle_table",
]

_ARROW_TYPE = {
    "text": pa.string(),
    "enum": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "share": pa.float64(),
    "bool": pa.bool_(),
}
FINANCIALS_SCHEMA = pa.schema([pa.field(f.name, _ARROW_TYPE[f.kind]) for f in FIELDS])
CERTIFICATIONS_SCHEMA = pa.schema(
    [
        pa.field("company_id", pa.string(), nullable=False),
        pa.field("tier", pa.string(), nullable=False),
        pa.field("granted_year", pa.int64(), nullable=False),
        pa.field("expires_year", pa.int64(), nullable=False),
    ]
)
ORACLE_SCHEMA = pa.schema(
    [
        pa.field("company_id", pa.string(), nullable=False),
        pa.field("fiscal_year", pa.int64(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("horizon", pa.int64(), nullable=False),
        pa.field("probability", pa.float64(), nullable=False),
    ]
)
_TIER_NAMES = np.array(TIER_CHOICES, dtype=object)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _missing_masks(
    n: int, disclosure: FloatArray, rng: np.random.Generator, cfg: Missingness
) -> dict[str, npt.NDArray[np.bool_]]:
    """Which published values are missing, per field (groups go missing together)."""
    masks: dict[str, npt.NDArray[np.bool_]] = {}
    for group, rate in (
        (cfg.customer_fields, cfg.customer_rate),
        (cfg.market_fields, cfg.market_rate),
    ):
        logit = _logit(rate) - disclosure + rng.normal(0.0, 0.7, n)
        together = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
        for name in group:
            masks[name] = together | (rng.random(n) < cfg.other_rate)
    grouped = set(cfg.customer_fields) | set(cfg.market_fields) | set(cfg.never_missing)
    for spec in FIELDS:
        if spec.name not in grouped and not spec.required:
            masks[spec.name] = rng.random(n) < cfg.other_rate
    return masks


def _arrow_column(
    values: npt.NDArray[np.float64] | npt.NDArray[np.object_],
    kind: str,
    hide: npt.NDArray[np.bool_] | None,
) -> pa.Array:
    if kind in ("text", "enum"):
        mask = None if hide is None else hide
        return pa.array(values, type=pa.string(), mask=mask)
    numbers = np.asarray(values, dtype=np.float64)
    null = np.isnan(numbers)
    if hide is not None:
        null |= hide
    if kind == "int":
        return pa.array(np.where(null, 0.0, numbers).astype(np.int64), mask=null)
    if kind == "bool":
        return pa.array(numbers == 1.0, mask=null)
    return pa.array(numbers, mask=null)


def financials_table(
    firms: Firms,
    states: Mapping[int, FirmState],
    history: History,
    rng: np.random.Generator,
    cfg: Missingness,
    status_years: int,
) -> pa.Table:
    """One row per observed firm-year 2014–2025, ordered by firm then year.

    Parameters
    ----------
    firms, states, history
        The simulated world.
    rng
        Random stream of missingness.
    cfg
        Missingness rates.
    status_years
        Years a grant lasts (``tier_since`` is its expiry minus this).

    Returns
    -------
    pyarrow.Table
        :data:`FINANCIALS_SCHEMA`; ``current_tier`` is the tier held at the end of
        the fiscal year, ``tier_since`` the year it was granted or last confirmed.
    """
    parts = []
    firm_index = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        snap = history.years[year]
        parts.append(
            record_columns(
                states[year].take(snap.rows),
                firms.take(snap.rows),
                year,
                snap.level,
                snap.expiry,
                status_years,
            )
        )
        firm_index.append(snap.rows)
    index = np.concatenate(firm_index)
    years = np.concatenate(
        [
            np.full(r.size, y)
            for y, r in zip(range(FIRST_YEAR, LAST_YEAR + 1), firm_index, strict=True)
        ]
    )
    order = np.lexsort((years, index))
    masks = _missing_masks(index.size, firms.disclosure[index], rng, cfg)
    arrays = []
    for spec in FIELDS:
        values = np.concatenate([p[spec.name] for p in parts])[order]
        hide = masks.get(spec.name)
        arrays.append(_arrow_column(values, spec.kind, None if hide is None else hide[order]))
    return pa.Table.from_arrays(arrays, schema=FINANCIALS_SCHEMA)


def certifications_table(firms: Firms, history: History, status_years: int) -> pa.Table:
    """One row per grant (first grants, upgrades, renewals, demotions)."""
    order = np.lexsort((history.grant_tier, history.grant_year, history.grant_firm))
    firm = history.grant_firm[order]
    granted = history.grant_year[order]
    tier = history.grant_tier[order]
    return pa.Table.from_arrays(
        [
            pa.array(firms.company_id[firm], type=pa.string()),
            pa.array(_TIER_NAMES[tier], type=pa.string()),
            pa.array(granted),
            pa.array(granted + status_years),
        ],
        schema=CERTIFICATIONS_SCHEMA,
    )


def oracle_table(firms: Firms, history: History, oracle: Mapping[int, OracleYear]) -> pa.Table:
    """Oracle probabilities, one row per firm-year and target not yet held."""
    firm_parts, year_parts, target_parts, prob_parts = [], [], [], []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        rows = history.years[year].rows
        result = oracle[year]
        # Codes follow the order of ORACLE_TARGETS: srdi_sme, little_giant, retention.
        for code, probs in enumerate((result.srdi_sme, result.little_giant, result.retention)):
            due = ~np.isnan(probs)
            firm_parts.append(rows[due])
            year_parts.append(np.full(int(due.sum()), year, dtype=np.int64))
            target_parts.append(np.full(int(due.sum()), code, dtype=np.int8))
            prob_parts.append(probs[due])
    firm = np.concatenate(firm_parts)
    year_ = np.concatenate(year_parts)
    code_ = np.concatenate(target_parts)
    prob = np.clip(np.concatenate(prob_parts), 0.0, 1.0)
    order = np.lexsort((code_, year_, firm))
    names = np.array(list(ORACLE_TARGETS), dtype=object)
    return pa.Table.from_arrays(
        [
            pa.array(firms.company_id[firm[order]], type=pa.string()),
            pa.array(year_[order]),
            pa.array(names[code_[order]], type=pa.string()),
            pa.array(np.full(order.size, HORIZON, dtype=np.int64)),
            pa.array(prob[order]),
        ],
        schema=ORACLE_SCHEMA,
    )


def latent_table(firms: Firms, history: History) -> pa.Table:
    """Per-firm latent traits and life events (read by evaluation only)."""
    exit_year = history.exit_year
    return pa.table(
        {
            "company_id": pa.array(firms.company_id, type=pa.string()),
            "capability": firms.capability,
            "focus": firms.focus,
            "management": firms.management,
            "founded_year": firms.founded_year,
            "niche_start_year": firms.niche_start_year,
            "exit_year": pa.array(exit_year, mask=exit_year == 0),
            "local_points": firms.local_points,
            "unobserved_merit": firms.unobserved_merit,
            "log_market_size": firms.log_market_size,
            "disclosure": firms.disclosure,
        }
    )
