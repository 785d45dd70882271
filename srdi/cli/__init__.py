"""The ``srdi`` command line, the top layer: it may import every other package.

:func:`main` is the console-script entry point; :func:`build_app` assembles the verbs
(one module per group in :mod:`srdi.cli.commands`).
"""

from srdi.cli.app import build_app, main

__all__ = ["build_app", "main"]
