"""The promotion gate: which registered version holds the ``champion`` alias.

A new model version takes the alias only when its test PR-AUC is at least the
champion's on the same test rows (:func:`gate`); a champion that predicts another
target or horizon is never replaced automatically. :func:`promote` gives the alias
by hand. Every decision is written on the version as ``gate.*`` tags.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from srdi.core.bundle import BundleMismatchError, ModelBundle, load_registered_bundle
from srdi.core.bundle.registry import NOT_FOUND_CODES
from training.registry import current_champion, tracking

if TYPE_CHECKING:
    from srdi.core.settings import Settings

__all__ = ["GATE_METRIC", "GateDecision", "gate", "promote"]

log = logging.getLogger(__name__)

GATE_METRIC = "test_pr_auc"


@dataclass(frozen=True)
class GateDecision:
    """Outcome of the promotion gate for one new model version."""

    promoted: bool
    new_version: str
    new_score: float
    champion_version: str | None
    champion_score: float | None
    basis: str  # "no champion", "same test rows", "logged metric" or "manual"
    message: str

    def as_tags(self) -> dict[str, str]:
        """Return the decision as model-version tags."""
        return {
            "gate.promoted": str(self.promoted).lower(),
            "gate.basis": self.basis,
            "gate.champion_version": self.champion_version or "none",
            "gate.champion_test_pr_auc": (
                "none" if self.champion_score is None else f"{self.champion_score:.6f}"
            ),
            "gate.new_test_pr_auc": f"{self.new_score:.6f}",
        }


def gate(
    client: MlflowClient,
    settings: Settings,
    new_version: str,
    new_score: float,
    score_champion: Callable[[ModelBundle], float],
    *,
    target: str | None = None,
    horizon: int | None = None,
) -> GateDecision:
    """Give the champion alias to ``new_version`` unless the current champion is better.

    Parameters
    ----------
    client : MlflowClient
    settings : Settings
    new_version : str
        The freshly registered version.
    new_score : float
        Its test PR-AUC.
    score_champion : callable
        Returns a bundle's PR-AUC on the new run's test rows; the current champion
        is loaded and scored with it. When the champion's bundle does not match this
        code (other features or rule tables), its logged ``test_pr_auc`` is used
        instead, with a warning.
    target, horizon : optional
        What the new version predicts; ``target`` also names the registered model
        (``Settings.model_name``; ``srdi_sme`` when not given). A champion that
        predicts something else is never replaced automatically (the scores are not
        comparable); switching takes ``srdi promote``.

    Returns
    -------
    GateDecision
    """
    target = target or "srdi_sme"
    name = settings.model_name(target)
    current = current_champion(client, settings, target=target)
    if current is None:
        decision = GateDecision(
            True, new_version, new_score, None, None, "no champion", "first champion"
        )
    elif str(current.version) == str(new_version):
        decision = GateDecision(
            True, new_version, new_score, new_version, new_score, "same version", "already champion"
        )
    else:
        predicts: tuple[str | None, int | None]
        try:
            champion = load_registered_bundle(settings, version=str(current.version), target=target)
            predicts = (champion.bundle.target, champion.bundle.horizon)
            champion_score = float(score_champion(champion.bundle))
            basis = "same test rows"
        except BundleMismatchError as exc:
            log.warning(
                "champion version %s cannot score this run's test rows (%s); comparing with its "
                "logged %s instead",
                current.version,
                exc,
                GATE_METRIC,
            )
            run = client.get_run(current.run_id) if current.run_id else None
            metrics = run.data.metrics if run else {}
            params = run.data.params if run else {}
            predicts = (params.get("target"), _int_or_none(params.get("horizon")))
            champion_score = float(metrics.get(GATE_METRIC, math.nan))
            basis = "logged metric"
        wanted = (target, horizon)
        if None not in wanted and predicts != wanted:
            decision = GateDecision(
                False,
                new_version,
                new_score,
                str(current.version),
                champion_score,
                "different target",
                f"kept the champion: v{current.version} predicts {predicts[0]} within "
                f"{predicts[1]} years, the new version {target} within {horizon}; "
                f"`srdi promote {new_version}` switches",
            )
        else:
            better = math.isnan(champion_score) or new_score >= champion_score
            verdict = "promoted" if better else "kept the champion"
            decision = GateDecision(
                better,
                new_version,
                new_score,
                str(current.version),
                champion_score,
                basis,
                f"{verdict}: new test PR-AUC {new_score:.4f} vs champion v{current.version} "
                f"{champion_score:.4f} ({basis})",
            )
    if decision.promoted:
        client.set_registered_model_alias(name, settings.champion_alias, new_version)
    for key, value in decision.as_tags().items():
        client.set_model_version_tag(name, new_version, key, value)
    return decision


def _int_or_none(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def promote(settings: Settings, version: str, *, target: str = "srdi_sme") -> GateDecision:
    """Give the champion alias to ``version`` of ``target``'s model regardless of the gate.

    Raises
    ------
    ValueError
        When the version does not exist.
    """
    with tracking(settings) as client:
        name = settings.model_name(target)
        try:
            chosen = client.get_model_version(name, str(version))
        except MlflowException as exc:
            if exc.error_code in NOT_FOUND_CODES:
                raise ValueError(f"model {name!r} has no version {version}") from exc
            raise
        current = current_champion(client, settings, target=target)
        client.set_registered_model_alias(name, settings.champion_alias, str(chosen.version))
        client.set_model_version_tag(name, str(chosen.version), "gate.basis", "manual")
        metrics = client.get_run(chosen.run_id).data.metrics if chosen.run_id else {}
        return GateDecision(
            True,
            str(chosen.version),
            float(metrics.get(GATE_METRIC, math.nan)),
            None if current is None else str(current.version),
            None,
            "manual",
            f"{name} version {chosen.version} promoted to @{settings.champion_alias} by hand",
        )
