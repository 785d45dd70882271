"""What can go wrong with a model bundle, in one tree (see :mod:`srdi.core.bundle`)."""

from __future__ import annotations

__all__ = ["BundleError", "BundleFormatError", "BundleMismatchError", "NoChampionError"]


class BundleError(Exception):
    """A model bundle cannot be used."""


class BundleFormatError(BundleError):
    """A bundle file is missing or malformed."""


class BundleMismatchError(BundleError):
    """The bundle was built for another feature list or other rule-table versions."""


class NoChampionError(Exception):
    """No model version carries the champion alias yet."""
