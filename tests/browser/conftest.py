"""Headless Chromium (Debian's ``/usr/bin/chromium``) against the app on a real uvicorn.

The browser is required: when it is missing the tests FAIL with how to install it
(``make system-deps``), they do not skip. Playwright drives the system Chromium
through ``executable_path``; ``playwright install`` is never needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# A 1366×768 laptop screen, the smallest the page is designed for.
VIEWPORT = {"width": 1366, "height": 768}


@contextmanager
def serve(app: object) -> Iterator[str]:
    """Serve ``app`` on a real uvicorn until the block ends (a cold start may be slow)."""
    with live_server(app, startup_timeout_s=120.0) as url:
        yield url


@pytest.fixture(scope="session", params=["one process", "srdi serve --workers 2"])
def app_url(request, trained_store) -> Iterator[str]:
    """The app serving the trained champion, no API key: uvicorn in a thread, then
    ``srdi serve`` with two worker processes (the page's screens must be shared)."""
    from serving.app import create_app

    if request.param == "one process":
        with serve(create_app(trained_store.settings())) as url:
            yield url
    else:
        yield request.getfixturevalue("workers_server").url


@pytest.fixture(scope="session")
def serve_app():
    """:func:`serve` for tests that need an app of their own (e.g. with an API key)."""
    return serve


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium; fails (not skips) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs Debian's chromium "
            "(run `make system-deps`, or `apt-get install chromium fonts-wqy-microhei`)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser, tmp_path) -> Iterator[object]:
    """A fresh page (own storage) at laptop size that records console errors."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ (git-ignored): the screenshots a person looks at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
