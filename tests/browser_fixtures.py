"""One Playwright driver and one Debian chromium per pytest worker.

Playwright's sync API runs its own event loop in the calling thread; a second
`sync_playwright()` started while another is alive in the same worker fails
with "Sync API inside the asyncio loop". So every browser test takes the
`browser` fixture from here instead of starting Playwright itself.

Without chromium or the Playwright client the tests skip, unless
MADOGUCHI_REQUIRE_BROWSER=1 (CI) turns that into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The self-check page (R14) needs a camera and a microphone: chromium's
    # fake devices give it a moving picture and a tone without any hardware.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def require_browser() -> None:
    """Skip (or fail, in CI) when chromium or the Playwright client is missing."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the Playwright Python client is not installed"
    if problem is None:
        return
    if os.environ.get("MADOGUCHI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MADOGUCHI_REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(f"browser test skipped: {problem}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A running chromium shared by the worker's browser tests; open a new context per test."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
