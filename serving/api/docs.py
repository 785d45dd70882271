"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), with every asset served from the package.

FastAPI's own pages load their scripts and styles from a CDN, so they are blank on a
machine without internet access, and they start Swagger UI from an inline script. Here
the two bundles come from the installed ``fastapi-offline`` package (Swagger UI,
Apache-2.0; ReDoc, MIT; the package itself MIT) and the pages are plain files that load
scripts from this origin only, which lets the Content-Security-Policy of
:mod:`serving.api.security` forbid inline and foreign scripts on them too.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

__all__ = ["DOCS_ASSETS", "router"]

_OWN = Path(__file__).resolve().parent / "static"
_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _vendored(name: str) -> Any:
    return files("fastapi_offline") / "static" / name


# Asset name → where it lives. Only these names are served (no path from the URL is
# ever joined to a directory).
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "fastapi_offline",
    "swagger-ui.css": "fastapi_offline",
    "redoc.standalone.js": "fastapi_offline",
    "swagger-init.js": "own",
}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> FileResponse:
    """Swagger UI on /openapi.json."""
    return FileResponse(_OWN / "swagger.html", media_type="text/html; charset=utf-8")


@router.get("/redoc")
async def redoc() -> FileResponse:
    """ReDoc on /openapi.json."""
    return FileResponse(_OWN / "redoc.html", media_type="text/html; charset=utf-8")


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> Response:
    """A script or style sheet of the documentation pages."""
    origin = DOCS_ASSETS.get(name)
    if origin is None:
        raise HTTPException(status_code=404, detail=f"no documentation asset named {name!r}")
    path = Path(str(_vendored(name))) if origin == "fastapi_offline" else _OWN / name
    media = _MEDIA[path.suffix]
    # The bundles change only with the package version: let browsers keep them a day.
    return FileResponse(path, media_type=media, headers={"Cache-Control": "public, max-age=86400"})
