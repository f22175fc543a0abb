"""The OpenAPI document and its browser view, for signed-in staff (outside demo mode)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from accounts.deps import CurrentUser

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi_document(request: Request, user: CurrentUser) -> dict[str, Any]:
    document: dict[str, Any] = request.app.openapi()
    return document


@router.get("/docs")
async def api_browser(request: Request, user: CurrentUser) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{request.app.title} API")
