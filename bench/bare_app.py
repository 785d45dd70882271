"""A bare FastAPI endpoint around ``Booster.predict``: the floor of what serving costs.

No validation, no features, no rules, no reasons: the JSON record's numbers are put
where the model's feature names match (NaN elsewhere) and the champion's LightGBM
booster scores them with one thread. ``bench.serve`` runs it with the same uvicorn
worker count as ours and prints our throughput as a share of it.

Run as ``uvicorn bench.bare_app:create --factory`` with ``BENCH_BOOSTER`` naming a
LightGBM text model file.
"""

from __future__ import annotations

import os

import lightgbm as lgb
import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response


def create() -> FastAPI:
    """The bare app (uvicorn factory)."""
    booster = lgb.Booster(model_file=os.environ["BENCH_BOOSTER"])
    names = booster.feature_name()
    app = FastAPI()

    @app.post("/score")
    async def score(request: Request) -> Response:
        record = orjson.loads(await request.body())
        row = [record.get(name) for name in names]
        x = np.array([[v if isinstance(v, int | float) else np.nan for v in row]], dtype=float)
        value = float(booster.predict(x, num_threads=1)[0])
        return Response(orjson.dumps({"score": value}), media_type="application/json")

    @app.get("/ping")
    async def ping() -> Response:
        return Response(b"ok")

    return app
