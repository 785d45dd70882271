"""What validation reports: the error types, the result of a frame, and the error log.

Checks add ``(row index, field, message)`` to an :class:`ErrorLog` in any order; the
log renders them once, at the end, sorted by row and then contract order, each with
the value as the user gave it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from features.columns import Columns
from features.parsing import format_number
from features.validate.cells import RawColumn
from features.validate.groups import FIELD_ORDER

__all__ = ["ErrorLog", "FieldError", "RecordValidationError", "RowError", "ValidatedFrame"]


@dataclass(frozen=True, slots=True)
class RowError:
    """One broken rule in one row of a frame.

    Attributes
    ----------
    row : int
        0-based row number in the source (plus the chunk's ``row_offset``).
    field : str
        Contract field (or ``debt_ratio``) the rule is about.
    value : str
        The value as given ("" when missing).
    message : str
        What is wrong and what was expected.
    """

    row: int
    field: str
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule in a single record (see :class:`RowError`)."""

    field: str
    value: str
    message: str


class RecordValidationError(ValueError):
    """A single record broke one or more rules; ``errors`` lists each of them."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


@dataclass(slots=True)
class ValidatedFrame:
    """Result of :func:`features.validate.validate_frame`.

    Attributes
    ----------
    columns : Columns
        Validated columns of the good rows only. Arrays may be read-only views of
        the input frame's own numbers (a float64 column is not copied).
    rows : numpy.ndarray
        Source row numbers (0-based, plus ``row_offset``) of the good rows.
    errors : list of RowError
        Every broken rule, ordered by row then field.
    warnings : list of str
        Ignored columns and similar notes that do not reject rows.
    n_input : int
        Rows read.
    """

    columns: Columns
    rows: npt.NDArray[np.int64]
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_input: int = 0

    @property
    def n_valid(self) -> int:
        """Number of good rows."""
        return len(self.rows)

    @property
    def rejected_rows(self) -> npt.NDArray[np.int64]:
        """Source row numbers of the rejected rows, ascending."""
        return np.unique(np.fromiter((e.row for e in self.errors), dtype=np.int64))


class ErrorLog:
    """Collects (row index, field, message) and renders :class:`RowError` at the end.

    Parameters
    ----------
    raw : mapping of str to raw column
        The values as given, to show in each error.
    rows : numpy.ndarray
        Source row number of each row index.
    """

    def __init__(self, raw: Mapping[str, RawColumn], rows: npt.NDArray[np.int64]) -> None:
        self._raw = raw
        self._rows = rows
        self.items: list[tuple[int, str, str]] = []

    def add(self, i: int, name: str, message: str) -> None:
        """Report row index ``i``'s ``name`` with ``message``."""
        self.items.append((i, name, message))

    def add_each(
        self, where: npt.NDArray[np.intp], name: str, message: Callable[[int], str]
    ) -> None:
        """Report each row index of ``where``, the message made from the index."""
        self.items.extend((int(i), name, message(int(i))) for i in where)

    def value(self, name: str, i: int) -> str:
        """The value of ``name`` in row index ``i`` as given ("" when missing)."""
        values = self._raw.get(name)
        if values is None:
            return ""
        v = values[i].as_py() if isinstance(values, pa.Array) else values[i]
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating)):
            return format_number(float(v))
        return str(v)

    def row_number(self, i: int) -> int:
        """The source row number of row index ``i`` (0-based data row of the file)."""
        return int(self._rows[i])

    def quote(self, name: str, i: int) -> str:
        """``name ('value') ``: how a message about a value as given starts."""
        return f"{name} ({self.value(name, i)!r}) "

    def render(self) -> list[RowError]:
        """Every error, by row then contract order of the field."""
        ordered = sorted(self.items, key=lambda t: (t[0], FIELD_ORDER.get(t[1], 999)))
        return [RowError(int(self._rows[i]), f, self.value(f, i), m) for i, f, m in ordered]

    def bad_rows(self, n: int) -> npt.NDArray[np.bool_]:
        """True for each of the ``n`` row indices with at least one error."""
        bad = np.zeros(n, dtype=bool)
        if self.items:
            bad[np.fromiter((t[0] for t in self.items), dtype=np.intp)] = True
        return bad
