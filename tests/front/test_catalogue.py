"""The English catalogue is complete (SPEC §8: a missing translation is a bug).

Source strings are Japanese; English comes from locale/en/LC_MESSAGES/django.po.
After adding or changing a string, run from the repository root:

    .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=bench
    (translate every new or fuzzy entry in locale/en/LC_MESSAGES/django.po)
    make test   (or make run: both compile the .po into the .mo, which git does not keep)
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
MAKEMESSAGES = "manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=bench"
COMPILEMESSAGES = "make test (it compiles the catalogue)"
# Not copied when extracting strings: environments, data, tests and tools.
NOT_SOURCES = {".venv", ".git", "var", "tests", "bench", "locale", "node_modules"}

JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[sd]")
BRACE_FORMAT = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?[a-z][^>]*>")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def translations(self) -> list[str]:
        return list(self.msgstr.values()) or [""]


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (header and obsolete #~ entries left out)."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry = Entry()
        target: tuple[str, int] | None = None
        live = False
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#") or not line:
                continue
            else:
                keyword, _, rest = line.partition(" ") if not line.startswith('"') else ("", "", line)
                if keyword:
                    live = True
                    index = 0
                    if keyword.startswith("msgstr["):
                        index = int(keyword[7:-1])
                        keyword = "msgstr"
                    target = (keyword, index)
                    _append(entry, target, ast.literal_eval(rest))
                elif target is not None:
                    _append(entry, target, ast.literal_eval(rest))
        if live and entry.msgid:
            entries.append(entry)
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    keyword, index = target
    if keyword == "msgstr":
        entry.msgstr[index] = entry.msgstr.get(index, "") + text
    else:
        setattr(entry, keyword, (getattr(entry, keyword) or "") + text)


def listing(items: list[str]) -> str:
    return "\n".join(f"  - {item!r}" for item in items)


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO.exists(), f"{PO.relative_to(ROOT)} is missing; run {MAKEMESSAGES}"
    return read_po(PO)


def test_it_translates_every_string_into_english(catalogue):
    missing = [e.msgid for e in catalogue if not all(t.strip() for t in e.translations)]
    assert not missing, (
        f"{len(missing)} msgid(s) in {PO.relative_to(ROOT)} have no English translation:\n{listing(missing)}"
    )


def test_it_has_no_fuzzy_guesses_left(catalogue):
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy entr(ies) in {PO.relative_to(ROOT)}: check the English, "
        f"then remove the '#, fuzzy' line:\n{listing(fuzzy)}"
    )


def test_it_leaves_no_japanese_in_the_english(catalogue):
    untranslated = [e.msgid for e in catalogue if any(JAPANESE.search(t) for t in e.translations)]
    assert not untranslated, f"English still contains Japanese for:\n{listing(untranslated)}"


def test_it_keeps_placeholders_and_markup(catalogue):
    broken = []
    for entry in catalogue:
        for translation in entry.translations:
            for pattern in (PYTHON_FORMAT, BRACE_FORMAT, TAG):
                if sorted(pattern.findall(entry.msgid)) != sorted(pattern.findall(translation)):
                    broken.append(f"{entry.msgid!r} -> {translation!r}")
    assert not broken, "placeholders or tags differ between Japanese and English:\n" + "\n".join(broken)


def test_it_ships_a_compiled_catalogue_that_matches_the_po(catalogue):
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing; run {COMPILEMESSAGES}"
    with MO.open("rb") as fh:
        compiled: dict[object, str] = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in catalogue:
        if "fuzzy" in entry.flags or not all(entry.translations):
            continue  # msgfmt leaves these out; the tests above report them
        if entry.msgid_plural is None:
            if compiled.get(entry.key) != entry.msgstr.get(0):
                stale.append(entry.msgid)
        elif any(compiled.get((entry.key, n)) != text for n, text in entry.msgstr.items()):
            stale.append(entry.msgid)
    assert not stale, (
        f"{MO.relative_to(ROOT)} is out of date with the .po; run {COMPILEMESSAGES}. Differs for:\n"
        f"{listing(stale)}"
    )


def test_it_has_every_source_string_in_the_catalogue(catalogue, tmp_path):
    """Extract the strings afresh from a copy of the sources and compare."""
    if shutil.which("xgettext") is None:
        message = "GNU gettext (xgettext) is not installed, so strings cannot be extracted"
        if os.environ.get("CI") == "1" or os.environ.get("MADOGUCHI_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (CI installs it: .ci/run)")
        pytest.skip(message)
    copy = tmp_path / "src"
    copy.mkdir()
    for item in ROOT.iterdir():
        if item.name in NOT_SOURCES or item.name.startswith("."):
            continue
        if item.is_dir():
            shutil.copytree(item, copy / item.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(item, copy / item.name)
    (copy / "locale").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
        "MADOGUCHI_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "catalogue-test",
    }
    result = subprocess.run(
        [sys.executable, *MAKEMESSAGES.split()],
        cwd=copy, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    fresh = {e.key: e for e in read_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    committed = {e.key: e for e in catalogue}
    missing = sorted(set(fresh) - set(committed))
    assert not missing, (
        f"{len(missing)} string(s) in the sources are not in {PO.relative_to(ROOT)}; "
        f"run {MAKEMESSAGES}, translate them, then {COMPILEMESSAGES}:\n{listing(missing)}"
    )
    unused = sorted(set(committed) - set(fresh))
    assert not unused, (
        f"{len(unused)} entr(ies) in {PO.relative_to(ROOT)} are no longer in the sources; "
        f"run {MAKEMESSAGES}:\n{listing(unused)}"
    )
