"""Published certification lists → ``certifications`` for training (``srdi labels``).

The official lists (MIIT Little Giant batches, provincial SRDI SME lists) carry names,
not the ids of a panel. :mod:`~training.published.lists` reads a list,
:mod:`~training.published.linkage` links its firms to a panel by credit code or name,
:mod:`~training.published.output` writes the certifications and the linkage report;
:mod:`~training.published.names` and :mod:`~training.published.places` fold the
spellings of names and regions. :func:`~training.published.panel.read_panel_firms`
reads the panel's firms.
"""

__all__: list[str] = ["linkage", "lists", "names", "output", "panel", "places"]


def __getattr__(name: str) -> object:
    # Submodules load on first use, so `import training.published` stays cheap.
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
