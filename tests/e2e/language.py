"""A browser page in one of the two languages, at the desktop size the pages are made for."""

from __future__ import annotations

from playwright.async_api import Browser, Page, ViewportSize

DESKTOP: ViewportSize = {"width": 1440, "height": 900}


async def page_in(browser: Browser, language: str, viewport: ViewportSize = DESKTOP, *,
                  bypass_csp: bool = False) -> Page:
    """A fresh context whose pages open in ``language`` (the choice the language switch keeps);
    ``bypass_csp`` only for injecting axe-core, which the pages' policy rightly forbids."""
    context = await browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
    await context.add_init_script(f"localStorage.setItem('anxin.lang', '{language}')")
    return await context.new_page()
