"""/docs (Swagger UI) and /redoc (ReDoc) in headless Chromium: offline, under their CSP.

Every request stays on the service's origin (the bundles come from the installed
package, not a CDN), the pages render the operations of /openapi.json, and the
Content-Security-Policy sent with them blocks nothing they need (the one thing it
blocks, ReDoc's remote logo, is by design). Regression tests for finding 7 of issue 15.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _outside_requests(page, base_url: str) -> dict[str, str]:
    """URL → how it ended, for every request the page tried outside its origin."""
    outside: dict[str, str] = {}

    def local(url: str) -> bool:
        return url.startswith((base_url, "blob:", "data:"))

    page.on("requestfinished", lambda r: None if local(r.url) else outside.update({r.url: "sent"}))
    page.on(
        "requestfailed",
        lambda r: None if local(r.url) else outside.update({r.url: r.failure or "failed"}),
    )
    return outside


def test_swagger_ui_renders_offline_under_its_csp(page, app_url, artifacts) -> None:
    outside = _outside_requests(page, app_url)
    response = page.goto(f"{app_url}/docs")
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    page.get_by_text("/v1/score/batch").first.wait_for()
    page.get_by_text("SRDI scoring service").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "api-docs-swagger.png"))
    assert outside == {}
    assert page.console_errors == []


def test_redoc_renders_offline_under_its_csp(page, app_url, artifacts) -> None:
    outside = _outside_requests(page, app_url)
    page.goto(f"{app_url}/redoc")
    page.get_by_text("Score a list of firms").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "api-docs-redoc.png"))
    # ReDoc's bundle shows the Redocly logo from its CDN (and hides it when the image
    # fails): the CSP refuses it before any request leaves, and that is all it refuses.
    assert outside == {"https://cdn.redoc.ly/redoc/logo-mini.svg": "csp"}
    assert len(page.console_errors) == 1
    assert "logo-mini.svg" in page.console_errors[0]
    assert "Content Security Policy" in page.console_errors[0]
