"""Scoring: the scorer, reasons, the model holder and request coalescing."""

__all__: list[str] = []
