"""The layout rule: every package says what it exports, and what it says exists.

Each package ``__init__`` declares ``__all__`` (STYLE.md #9): a newcomer reads there
what the package offers, and mypy's strict re-export check holds importers to it.
Every name listed must resolve, whether the package imports it or loads it on first
use (``features``, ``training``, ``serving`` load their submodules lazily).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

TOP_PACKAGES = ("features", "training", "serving", "srdi")


def _packages() -> list[str]:
    names: list[str] = []
    for top in TOP_PACKAGES:
        names.append(top)
        package = importlib.import_module(top)
        names.extend(
            info.name for info in pkgutil.walk_packages(package.__path__, f"{top}.") if info.ispkg
        )
    return sorted(names)


@pytest.mark.parametrize("name", _packages())
def test_each_package_declares_what_it_exports(name: str) -> None:
    package: ModuleType = importlib.import_module(name)
    exported = getattr(package, "__all__", None)
    assert isinstance(exported, list | tuple), f"{name}/__init__.py has no __all__"
    assert all(isinstance(item, str) for item in exported), name
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    for item in exported:
        assert getattr(package, item, None) is not None, f"{name}.__all__ lists missing {item!r}"


def test_the_lazy_packages_list_every_submodule() -> None:
    for name in ("features", "training"):
        package = importlib.import_module(name)
        found = {
            info.name
            for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_") and not info.ispkg
        }
        assert found <= set(package.__all__), (
            f"{name}.__all__ misses {sorted(found - set(package.__all__))}"
        )
