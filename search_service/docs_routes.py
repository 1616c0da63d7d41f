"""`/docs`: Swagger UI from the vendored `swagger-ui-dist`, so it works without internet.

FastAPI's page starts Swagger UI with one inline script; the page's Content-Security-Policy
admits exactly that script by its SHA-256 hash, and no other inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER = "/static/vendor/swagger-ui-dist"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
docs_router = APIRouter(include_in_schema=False)


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources (`'sha256-…'`) of the page's inline scripts."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


@docs_router.get("/docs")
def show_api_docs(request: Request) -> HTMLResponse:
    """The interactive API documentation (OpenAPI at `/openapi.json`)."""
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title} – API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
    )
    html = bytes(page.body).decode()
    scripts = " ".join(["'self'", *inline_script_hashes(html)])
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; object-src 'none'; "
        "frame-ancestors 'none'"
    )
    return page
