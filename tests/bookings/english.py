"""Whether the English catalogue exists yet (SPEC §8: English is switchable, ja is the default)."""

from __future__ import annotations

import re

from django.conf import settings

JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")


def has_english_catalogue() -> bool:
    # The compiled catalogue is what Django reads; make compiles it from the .po.
    return (settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.mo").is_file()


def is_japanese(text: str) -> bool:
    return bool(JAPANESE.search(text))
