"""The browser page at `/`; its script and style are served from `/static`."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(tags=["page"])

# The page loads only its own files and talks only to this service; model and database text
# is inserted as text, and this policy stops any script that slipped in anyway.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def _page() -> str:
    return files("txt2sql_api").joinpath("web", "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page() -> HTMLResponse:
    return HTMLResponse(_page(), headers=_HEADERS)


def static_files() -> StaticFiles:
    return StaticFiles(packages=[("txt2sql_api", "web")])
