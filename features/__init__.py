"""The input contract, feature derivation and scheme rules of the SRDI scoring service.

Submodules: :mod:`~features.fields` (the contract), :mod:`~features.validate`,
:mod:`~features.io`, :mod:`~features.catalog`, :mod:`~features.derive`,
:mod:`~features.industry`, :mod:`~features.pipeline`, :mod:`~features.rules`,
:mod:`~features.ladder` (the targets: whom each question asks).
Importing the package imports nothing heavy; import the submodule you need.
"""

__all__: list[str] = [
    "catalog",
    "column_map",
    "columns",
    "contract_doc",
    "derive",
    "fields",
    "firm_years",
    "formats",
    "headers",
    "industries",
    "industry",
    "io",
    "ladder",
    "layout",
    "parsing",
    "pipeline",
    "provinces",
    "record_model",
    "rules",
    "spellings",
    "spreadsheet",
    "tiers",
    "validate",
]


def __getattr__(name: str) -> object:
    # Submodules load on first use, so `import features` stays cheap.
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
