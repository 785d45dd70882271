"""The shared core of training and serving: settings, the model bundle and its calibrators,
the MLflow model wrapper, panel units and the Dask client.

It imports ``features`` and nothing else of ours; ``training`` and ``serving`` import it.
"""

__all__: list[str] = []
