"""The scheme rule engine: versioned rule tables evaluated vectorized.

``evaluate_schemes(columns)`` screens every firm-year against the Chinese tiers
(version ``cn-2022``) and the peer schemes abroad; ``evaluate_rows_json`` gives the
same screens' JSON for a few records, firm by firm; see ``docs/schemes.md``.
"""

from features.rules.currency import CurrencyRates
from features.rules.distinctive import DistinctivePlugin, FixedDistinctive, NeutralDistinctive
from features.rules.engine import evaluate_schemes
from features.rules.evaluation import SchemeEvaluation
from features.rules.registry import RULESET_VERSIONS, SCHEME_IDS, SCHEME_TABLES, rule_tables
from features.rules.results import CriterionResult, SchemeResult
from features.rules.row import evaluate_rows_json
from features.rules.verdicts import CriterionVerdict, Verdict

__all__ = [
    "RULESET_VERSIONS",
    "SCHEME_IDS",
    "SCHEME_TABLES",
    "CriterionResult",
    "CriterionVerdict",
    "CurrencyRates",
    "DistinctivePlugin",
    "FixedDistinctive",
    "NeutralDistinctive",
    "SchemeEvaluation",
    "SchemeResult",
    "Verdict",
    "evaluate_rows_json",
    "evaluate_schemes",
    "rule_tables",
]
