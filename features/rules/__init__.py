"""The scheme rule engine: versioned rule tables compiled into one plan.

``evaluate_schemes(columns)`` screens every firm-year against the Chinese tiers
(version ``cn-2022``) and the peer schemes abroad; ``schemes_json(columns)`` gives
the same screens' JSON, firm by firm; one compiled plan serves one record and a
million rows alike. See ``docs/schemes.md``.
"""

from features.rules.currency import CurrencyRates
from features.rules.distinctive import DistinctivePlugin, FixedDistinctive, NeutralDistinctive
from features.rules.evaluation import (
    SchemeEvaluation,
    SummaryColumn,
    evaluate_plan,
    evaluate_schemes,
    schemes_json,
)
from features.rules.inputs import REVIEW_HORIZON
from features.rules.plan import RulePlan, compile_plan
from features.rules.registry import RULESET_VERSIONS, SCHEME_IDS, SCHEME_TABLES, rule_tables
from features.rules.results import CriterionResult, SchemeResult
from features.rules.tables import Assumption, Explanation
from features.rules.verdicts import CriterionVerdict, Verdict

__all__ = [
    "REVIEW_HORIZON",
    "RULESET_VERSIONS",
    "SCHEME_IDS",
    "SCHEME_TABLES",
    "Assumption",
    "CriterionResult",
    "CriterionVerdict",
    "CurrencyRates",
    "DistinctivePlugin",
    "Explanation",
    "FixedDistinctive",
    "NeutralDistinctive",
    "RulePlan",
    "SchemeEvaluation",
    "SchemeResult",
    "SummaryColumn",
    "Verdict",
    "compile_plan",
    "evaluate_plan",
    "evaluate_schemes",
    "rule_tables",
    "schemes_json",
]
