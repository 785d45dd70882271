"""The ``srdi`` command line: one entry point, one module per group of verbs.

Each module in :mod:`srdi.cli.commands` exposes ``register(app)``; heavy libraries are
imported inside the commands so ``srdi --help`` stays instant.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from srdi.cli import commands

__all__ = ["build_app", "main"]


def build_app() -> typer.Typer:
    """Assemble the Typer application from every command module."""
    app = typer.Typer(
        name="srdi",
        help="Score SMEs on their SRDI certification potential.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(app)
    return app


def main() -> None:
    """Console-script entry point."""
    build_app()()
