"""The web pages: the log-in page and the dashboard shell; data comes from the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from accounts import service as accounts_service
from accounts.deps import presented_token
from accounts.exceptions import AuthenticationError
from runtime.deps import RuntimeDep

STATIC_DIR = Path(__file__).with_name("static")
# Browser libraries installed by scripts/setup from package.json, served from this machine.
UPLOT_DIR = Path(__file__).resolve().parents[1] / "node_modules" / "uplot" / "dist"
router = APIRouter(include_in_schema=False)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/app", status_code=303)


@router.get("/login")
async def login_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "login.html")


@router.get("/app")
async def shell(request: Request, runtime: RuntimeDep) -> Response:
    """The dashboard shell, for a logged-in browser; others are sent to the log-in page."""
    token = presented_token(request)
    if token is None:
        return RedirectResponse("/login", status_code=303)
    async with runtime.sessions() as session:
        try:
            await accounts_service.user_for_token(session, token=token, now=runtime.clock.now())
        except AuthenticationError:
            return RedirectResponse("/login", status_code=303)
    return FileResponse(STATIC_DIR / "app.html", headers={"Cache-Control": "no-store"})


@router.get("/liveness/capture")
async def liveness_capture_page() -> FileResponse:
    """The proof-of-life camera page; the signed link in its query string authorises it."""
    return FileResponse(STATIC_DIR / "liveness-capture.html",
                        headers={"Cache-Control": "no-store"})
