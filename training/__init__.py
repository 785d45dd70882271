"""Training: synthetic world, point-in-time labels, the model, evaluation, MLflow.

One module per stage (see ``docs/training.md``); :func:`training.pipeline.run_training`
runs them in order and is what ``srdi train`` calls. Importing the package imports
nothing heavy; import the submodule you need.
"""

__all__: list[str] = [
    "backtest",
    "baselines",
    "calibration",
    "config",
    "dask_booster",
    "dask_train",
    "dataset",
    "evaluate",
    "gate",
    "heldout",
    "labels",
    "mlflow_run",
    "model",
    "pipeline",
    "plots",
    "prepare",
    "published",
    "registry",
    "report",
    "robustness",
    "run_metrics",
    "run_report",
    "splits",
    "stages",
    "synth",
]


def __getattr__(name: str) -> object:
    # Submodules load on first use, so `import training` stays cheap.
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
