"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc`, with their scripts, styles
and icon served by this service (from the fastapi-offline package): FastAPI's own pages load
them from a CDN, so behind a firewall, or offline, they stay blank."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
REDOC_SCRIPT = "/docs/redoc.standalone.js"
# ReDoc's menu shows Redocly's logo from their CDN, whatever its options say. An image that
# fails to load is left out, so the bundle is served with an empty image in its place.
_REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        # Swagger UI's validator badge is an image from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{REDOC_SCRIPT}",
        redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
        with_google_fonts=False,
    )


@router.get(REDOC_SCRIPT)
async def redoc_script() -> Response:
    return Response(
        _redoc_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@cache
def _redoc_bundle() -> bytes:
    bundle = files("fastapi_offline").joinpath("static/redoc.standalone.js").read_text("utf-8")
    return bundle.replace(_REDOC_LOGO, "data:,").encode()


def assets() -> StaticFiles:
    return StaticFiles(packages=[("fastapi_offline", "static")])
