"""Validation of frames and single records against the input contract.

A frame and a record run the same vectorized checks: the raw values are parsed
per field (numbers to float64, booleans to 1.0 / 0.0 / NaN, text to canonical
values); bounds, whole-number and cross-field rules are then evaluated on
(fields × rows) blocks of numbers at once. Each broken rule yields a
:class:`RowError` naming the row, the field, the value as given and the rule
("main_business_revenue (1.2e8) exceeds revenue (1e8)"); bad rows are dropped,
good rows go on, nothing is clipped or filled — except a missing
``total_liabilities`` computed from the derived input ``debt_ratio`` ×
``total_assets`` (documented in the data contract).

Modules: ``groups`` (the fields by kind, their bounds), ``cells`` (per-kind cell
parsing), ``field_rules`` and ``cross_field`` (the rules), ``errors`` (what is
reported and how), ``checks`` (the rules run over a frame or a record), ``frame``
and ``record`` (the two entry points).
"""

from features.validate.errors import FieldError, RecordValidationError, RowError, ValidatedFrame
from features.validate.frame import validate_frame
from features.validate.record import validate_record

__all__ = [
    "FieldError",
    "RecordValidationError",
    "RowError",
    "ValidatedFrame",
    "validate_frame",
    "validate_record",
]
