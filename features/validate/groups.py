"""The contract's fields grouped by kind, with their bounds, computed once from FIELDS.

Numbers are checked as a (fields × rows) block whose rows follow
:data:`NUMBER_NAMES`; booleans and text fields are one array per field.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from features.fields import DERIVED_INPUTS, FIELD_BY_NAME, FIELDS, FieldSpec

__all__ = [
    "BOOL_NAMES",
    "BOOL_SPECS",
    "FIELD_ORDER",
    "HI",
    "IS_INT",
    "KNOWN",
    "LO",
    "NUMBER_INDEX",
    "NUMBER_NAMES",
    "NUMBER_SPECS",
    "REQUIRED_NUMBER_ROWS",
    "TEXT_NAMES",
    "TEXT_SPECS",
]

NUMBER_SPECS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.is_numeric)
BOOL_SPECS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.kind == "bool")
TEXT_SPECS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.kind in ("text", "enum"))
NUMBER_NAMES: tuple[str, ...] = tuple(f.name for f in NUMBER_SPECS)
BOOL_NAMES: tuple[str, ...] = tuple(f.name for f in BOOL_SPECS)
TEXT_NAMES: tuple[str, ...] = tuple(f.name for f in TEXT_SPECS)
NUMBER_INDEX: Mapping[str, int] = {name: j for j, name in enumerate(NUMBER_NAMES)}
# Errors are listed by row, then in contract order (the derived inputs last).
FIELD_ORDER: Mapping[str, int] = {f.name: i for i, f in enumerate(FIELDS)} | {
    name: len(FIELDS) + k for k, name in enumerate(DERIVED_INPUTS)
}
KNOWN: frozenset[str] = frozenset(FIELD_BY_NAME) | frozenset(DERIVED_INPUTS)

# Bounds of the number block's rows (±inf where the contract sets none).
LO = np.array([-np.inf if f.minimum is None else f.minimum for f in NUMBER_SPECS])
HI = np.array([np.inf if f.maximum is None else f.maximum for f in NUMBER_SPECS])
IS_INT = np.array([f.kind == "int" for f in NUMBER_SPECS])
REQUIRED_NUMBER_ROWS = np.array([j for j, f in enumerate(NUMBER_SPECS) if f.required])
