from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from offices.loader import load_office_file
from offices.models import Office
from tests.browser_fixtures import browser  # noqa: F401  (one Playwright per worker)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "offices.toml"
JST = ZoneInfo("Asia/Tokyo")


def jst(*args: int) -> datetime:
    """An aware datetime in Japan time: jst(2026, 12, 1, 17, 15)."""
    return datetime(*args, tzinfo=JST)  # type: ignore[misc]


@pytest.fixture
def fukuoka(db: None) -> Office:
    """Hello Work Plaza Fukuoka, loaded from the demo file (R2)."""
    load_office_file(DEMO)
    return Office.objects.get(code="fukuoka-plaza")


@pytest.fixture
def tmp_var(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
