"""Input normalisation before validation (SPEC §6)."""

from __future__ import annotations

import re
import unicodedata

# Dashes people type in phone and card numbers, in any width.
DASHES = re.compile("[\u2010-\u2015\u2212\u30fc\uff0d\uff70-]")


# Bidirectional overrides and isolates can make a name display as something else.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    # "Cs": a lone surrogate (\ud800 in JSON) is no character at all.
    return any(
        (unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed) or ch in BIDI_CONTROLS for ch in text
    )


def clean_text(text: str) -> str:
    """Full-width letters and digits to ASCII, half-width kana to full-width, trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def clean_number(text: str) -> str:
    """Digits and hyphens as typed on any keyboard: ０９０－１２３４ → 090-1234."""
    text = DASHES.sub("-", clean_text(text))
    return re.sub(r"\s+", "", text)


def email_key(email: str) -> str:
    return clean_text(email).casefold()
