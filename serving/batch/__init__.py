"""Batch scoring of a panel on Dask: the run, the worker plugin, per-unit tables and output."""

__all__: list[str] = []
