"""Fixtures of the API tests: records, models, scorers and in-process clients.

Helpers (record factory, bundle fitting, providers, live uvicorn servers) live in
``api_support.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.scoring.scorer import Scorer
from srdi.core.bundle import ModelBundle
from tests.support.api import ListProvider, fit_bundle, make_records, settings_for


@pytest.fixture(scope="session")
def records() -> list[dict[str, Any]]:
    """400 plausible input records."""
    return make_records(400, seed=1)


@pytest.fixture(scope="session")
def bundle(records: list[dict[str, Any]]) -> ModelBundle:
    """A small real model bundle."""
    return fit_bundle(records, seed=1)


@pytest.fixture(scope="session")
def other_bundle(records: list[dict[str, Any]]) -> ModelBundle:
    """A second bundle that scores the same firms differently."""
    return fit_bundle(records, seed=2, trees=40)


@pytest.fixture(scope="session")
def scorer(bundle: ModelBundle) -> Scorer:
    """A scorer of :func:`bundle`, as version 1."""
    return Scorer(bundle, model_name="srdi-potential", model_version="1")


@pytest.fixture()
def make_client() -> Iterator[Callable[..., TestClient]]:
    """Build an in-process client (lifespan run) for given settings and provider."""
    clients: list[TestClient] = []

    def build(provider: Any, **overrides: Any) -> TestClient:
        client = TestClient(create_app(settings_for(**overrides), model_provider=provider))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture()
def client(scorer: Scorer, make_client: Callable[..., TestClient]) -> TestClient:
    """An in-process client of an app serving :func:`scorer`, no API key."""
    return make_client(ListProvider(scorer))
