"""The public surface of the training package."""

from __future__ import annotations

import importlib
import pkgutil

import training


def test_all_lists_every_submodule_and_each_imports() -> None:
    found = {m.name for m in pkgutil.iter_modules(training.__path__) if not m.name.startswith("_")}
    assert set(training.__all__) == found
    for name in training.__all__:
        assert getattr(training, name) is importlib.import_module(f"training.{name}")


def test_each_training_module_declares_its_public_names() -> None:
    for name in training.__all__:
        module = importlib.import_module(f"training.{name}")
        assert isinstance(module.__all__, list | tuple), name
        for public in module.__all__:
            assert hasattr(module, public), f"training.{name}.{public}"
