"""Load offices from a TOML file (SPEC §4): all or nothing, and idempotent."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from offices.models import Closure, Office, SlotRuleRow, TermsVersion
from offices.schedule import WEEKDAYS

CODE = re.compile(r"^[a-z0-9-]+$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class OfficeFileError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class OfficeData:
    code: str
    fields: dict[str, Any]
    rules: list[dict[str, Any]]
    closures: dict[date, str]
    terms: dict[str, Any] | None = None


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class _Checker:
    """Collects every problem in the file, each naming office, field and fault."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, office: str, where: str, what: str) -> None:
        self.problems.append(f"office {office!r}: {where}: {what}")

    def text(
        self, data: dict[str, Any], key: str, office: str, *, max_len: int = 200, prefix: str = ""
    ) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(office, prefix + key, "is required and must be a non-empty string")
            return ""
        if len(value) > max_len:
            self.fail(office, prefix + key, f"is longer than {max_len} characters")
        return value.strip()

    def integer(self, data: dict[str, Any], key: str, office: str, low: int, high: int) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(office, key, f"must be a whole number from {low} to {high}, not {value!r}")
            return low
        return value


def _parse_office(raw: Any, index: int, check: _Checker, base: Path) -> OfficeData | None:
    if not isinstance(raw, dict):
        check.fail(f"#{index + 1}", "office", "must be a table ([[office]])")
        return None
    code = raw.get("code")
    label = code if isinstance(code, str) and code else f"#{index + 1}"
    if not isinstance(code, str) or not CODE.match(code):
        check.fail(label, "code", "must use only a-z, 0-9 and '-'")
    elif len(code) > 64:
        check.fail(label, "code", "is longer than 64 characters")
    known = {
        "code",
        "name",
        "name_en",
        "phone",
        "meeting_service",
        "timezone",
        "capacity",
        "horizon_days",
        "meeting_url",
        "slots",
        "closures",
        "terms",
    }
    for key in sorted(set(raw) - known):
        check.fail(label, key, "is not a known field")

    name = check.text(raw, "name", label)
    name_en = check.text(raw, "name_en", label) if "name_en" in raw else ""
    phone = check.text(raw, "phone", label, max_len=32)
    tz_name = raw.get("timezone", "Asia/Tokyo")
    try:
        ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder: IsADirectoryError
        check.fail(label, "timezone", f"{tz_name!r} is not a known time zone")
    capacity = check.integer(raw, "capacity", label, 1, 50) if "capacity" in raw else 1
    horizon = check.integer(raw, "horizon_days", label, 1, 366) if "horizon_days" in raw else 60
    # A {room} grows to 24 characters; the stored link must still fit in 500.
    meeting_url = check.text(raw, "meeting_url", label, max_len=480)
    meeting_service = (
        check.text(raw, "meeting_service", label, max_len=100) if "meeting_service" in raw else "TeleOffice"
    )
    if meeting_url:
        try:
            URLValidator(schemes=["https", "http"])(meeting_url.replace("{room}", "room"))
        except ValidationError:
            check.fail(label, "meeting_url", f"{meeting_url!r} is not an http(s) URL")

    rules = [_parse_rule(r, i, label, check) for i, r in enumerate(_tables(raw, "slots", label, check))]
    if not rules:
        check.fail(label, "slots", "at least one [[office.slots]] table is required")
    closures: dict[date, str] = {}
    for i, c in enumerate(_tables(raw, "closures", label, check)):
        where = f"closures[{i}]"
        day = _as_date(c.get("date"))
        if day is None:
            check.fail(label, f"{where}.date", f"must be a date like 2027-03-31, not {c.get('date')!r}")
            continue
        reason = c.get("reason", "")
        if not isinstance(reason, str):
            check.fail(label, f"{where}.reason", "must be a string")
            reason = ""
        elif len(reason) > 200:
            check.fail(label, f"{where}.reason", "is longer than 200 characters")
        closures[day] = reason

    terms = None
    if "terms" in raw:
        terms = _parse_terms(raw["terms"], label, check, base)

    return OfficeData(
        code=str(code),
        fields={
            "name": name,
            "name_en": name_en,
            "phone": phone,
            "timezone": str(tz_name),
            "capacity": capacity,
            "horizon_days": horizon,
            "meeting_url": meeting_url,
            "meeting_service": meeting_service,
        },
        rules=[r for r in rules if r is not None],
        closures=closures,
        terms=terms,
    )


def _as_date(value: Any) -> date | None:
    """A TOML date, or a string like "2027-03-31" as SPEC §4 writes it."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
        except ValueError:
            return None
    return None


def _tables(raw: dict[str, Any], key: str, label: str, check: _Checker) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        check.fail(label, key, f"must be an array of tables ([[office.{key}]])")
        return []
    return value


def _parse_rule(raw: dict[str, Any], i: int, label: str, check: _Checker) -> dict[str, Any] | None:
    where = f"slots[{i}]"
    ok = True
    weekdays = raw.get("weekdays")
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or any(not isinstance(d, str) or d.lower() not in WEEKDAYS for d in weekdays)
    ):
        check.fail(label, f"{where}.weekdays", f"must list days from {', '.join(WEEKDAYS)}, not {weekdays!r}")
        ok = False
    nth = raw.get("nth", [])
    if not isinstance(nth, list) or any(
        isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 5 for n in nth
    ):
        check.fail(label, f"{where}.nth", "must list whole numbers from 1 to 5")
        ok = False
    times = raw.get("times")
    if (
        not isinstance(times, list)
        or not times
        or any(not isinstance(t, str) or not TIME.match(t) for t in times)
    ):
        check.fail(label, f"{where}.times", f'must list times like "17:15" (24-hour, HH:MM), not {times!r}')
        ok = False
    minutes = raw.get("minutes", 30)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 240:
        check.fail(label, f"{where}.minutes", f"must be from 5 to 240, not {minutes!r}")
        ok = False
    capacity = raw.get("capacity")
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 50
    ):
        check.fail(label, f"{where}.capacity", f"must be from 1 to 50, not {capacity!r}")
        ok = False
    for key in sorted(set(raw) - {"weekdays", "nth", "times", "minutes", "capacity"}):
        check.fail(label, f"{where}.{key}", "is not a known field")
        ok = False
    if not ok:
        return None
    return {
        "weekdays": [d.lower() for d in weekdays],  # type: ignore[union-attr]
        "nth": sorted(set(nth)),
        "times": sorted(time.fromisoformat(t).strftime("%H:%M") for t in times),  # type: ignore[union-attr]
        "minutes": minutes,
        "capacity": capacity,
    }


def _parse_terms(raw: Any, label: str, check: _Checker, base: Path) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        check.fail(label, "terms", "must be a table ([office.terms])")
        return None
    version = check.text(raw, "version", label, max_len=32, prefix="terms.")
    title = check.text(raw, "title", label, prefix="terms.")
    effective = _as_date(raw.get("effective_date"))
    if effective is None:
        check.fail(label, "terms.effective_date", "must be a date like 2026-12-01")
    file_name = check.text(raw, "file", label, max_len=300, prefix="terms.")
    body = ""
    if file_name:
        path = (base / file_name).resolve()
        try:
            body = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            check.fail(label, "terms.file", f"cannot read {file_name}: {exc}")
        else:
            if not body:
                check.fail(label, "terms.file", f"{file_name} is empty")
    return {"version": version, "title": title, "effective_date": effective, "body": body}


def parse_office_file(path: Path) -> list[OfficeData]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OfficeFileError([f"cannot read {path}: {exc}"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OfficeFileError([f"{path} is not valid TOML: {exc}"]) from exc
    offices = raw.get("office")
    if not isinstance(offices, list) or not offices:
        raise OfficeFileError([f"{path}: no [[office]] tables found"])
    check = _Checker()
    parsed = [_parse_office(o, i, check, path.parent) for i, o in enumerate(offices)]
    codes = [o.code for o in parsed if o]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        check.fail(code, "code", "appears more than once in the file")
    if check.problems:
        raise OfficeFileError(check.problems)
    return [o for o in parsed if o is not None]


@transaction.atomic
def apply_offices(offices: list[OfficeData]) -> LoadResult:
    result = LoadResult()
    for data in offices:
        office = Office.objects.filter(code=data.code).first()
        if office is None:
            office = Office.objects.create(code=data.code, **data.fields)
            changed = True
            result.created.append(data.code)
        else:
            changed = False
            for key, value in data.fields.items():
                if getattr(office, key) != value:
                    setattr(office, key, value)
                    changed = True
            if changed:
                office.save()
        changed = _sync_rules(office, data.rules) or changed
        changed = _sync_closures(office, data.closures) or changed
        if data.terms:
            changed = _sync_terms(office, data.terms) or changed
        if data.code not in result.created:
            (result.updated if changed else result.unchanged).append(data.code)
    return result


def _sync_rules(office: Office, rules: list[dict[str, Any]]) -> bool:
    current = [
        {"weekdays": r.weekdays, "nth": r.nth, "times": r.times, "minutes": r.minutes, "capacity": r.capacity}
        for r in office.rules.all()
    ]
    if current == rules:
        return False
    office.rules.all().delete()
    SlotRuleRow.objects.bulk_create(
        SlotRuleRow(office=office, position=i, **rule) for i, rule in enumerate(rules)
    )
    return True


def _sync_closures(office: Office, closures: dict[date, str]) -> bool:
    # Closures entered by staff stay; the file adds or corrects its own.
    changed = False
    for day, reason in closures.items():
        row, created = Closure.objects.get_or_create(office=office, date=day, defaults={"reason": reason})
        if not created and row.reason != reason:
            row.reason = reason
            row.save(update_fields=["reason"])
            changed = True
        changed = changed or created
    return changed


def _sync_terms(office: Office, terms: dict[str, Any]) -> bool:
    row, created = TermsVersion.objects.get_or_create(office=office, version=terms["version"], defaults=terms)
    if created:
        return True
    # A published version is what people agreed to: it is never rewritten.
    if (row.body, row.title, row.effective_date) != (terms["body"], terms["title"], terms["effective_date"]):
        raise OfficeFileError(
            [
                f"office {office.code!r}: terms.version: version {row.version!r} is already "
                "published with other content; give the new text a new version"
            ]
        )
    return False


def load_office_file(path: Path) -> LoadResult:
    return apply_offices(parse_office_file(path))
