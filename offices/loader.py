"""Load offices from a TOML file (SPEC §4): all or nothing, and idempotent."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field, Model
from django.utils import translation

from offices.models import Closure, Office, SlotRuleRow, TermsVersion


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

    def valid(self, model: type[Model], name: str, value: Any, office: str, where: str = "") -> None:
        """The model field's own validators (offices.validation, lengths): the admin's rules."""
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        try:
            field.run_validators(value)
        except ValidationError as exc:
            # Rendered in English where the catalogue has the message, like the rest of this file.
            with translation.override("en"):
                for message in exc.messages:
                    self.fail(office, where or name, message)

    def text(
        self,
        data: dict[str, Any],
        key: str,
        office: str,
        model: type[Model] | None = Office,
        prefix: str = "",
    ) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(office, prefix + key, "is required and must be a non-empty string")
            return ""
        value = value.strip()
        if model is not None:
            self.valid(model, key, value, office, prefix + key)
        return value

    def integer(
        self, data: dict[str, Any], key: str, office: str, model: type[Model], where: str = ""
    ) -> Any:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(office, where or key, f"must be a whole number, not {value!r}")
            return None
        self.valid(model, key, value, office, where)
        return value


def _parse_office(raw: Any, index: int, check: _Checker, base: Path) -> OfficeData | None:
    if not isinstance(raw, dict):
        check.fail(f"#{index + 1}", "office", "must be a table ([[office]])")
        return None
    code = raw.get("code")
    label = code if isinstance(code, str) and code else f"#{index + 1}"
    if not isinstance(code, str) or not code:
        check.fail(label, "code", "is required and must be a non-empty string")
    else:
        check.valid(Office, "code", code, label)
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
    phone = check.text(raw, "phone", label)
    tz_name = raw.get("timezone", "Asia/Tokyo")
    if not isinstance(tz_name, str):
        check.fail(label, "timezone", f'must be a string like "Asia/Tokyo", not {tz_name!r}')
    else:
        check.valid(Office, "timezone", tz_name, label)
    capacity = check.integer(raw, "capacity", label, Office) if "capacity" in raw else 1
    horizon = check.integer(raw, "horizon_days", label, Office) if "horizon_days" in raw else 60
    meeting_url = check.text(raw, "meeting_url", label)
    meeting_service = check.text(raw, "meeting_service", label) if "meeting_service" in raw else "TeleOffice"

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
        else:
            check.valid(Closure, "reason", reason, label, f"{where}.reason")
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
    problems = len(check.problems)
    for key in sorted(set(raw) - {"weekdays", "nth", "times", "minutes", "capacity"}):
        check.fail(label, f"{where}.{key}", "is not a known field")
    weekdays: Any = raw.get("weekdays")
    if isinstance(weekdays, list):
        # The file may write "Tue"; the stored rule says "tue".
        weekdays = [d.lower() if isinstance(d, str) else d for d in weekdays]
    if not weekdays:
        check.fail(label, f"{where}.weekdays", 'is required: a list of days like ["tue", "thu"]')
    else:
        check.valid(SlotRuleRow, "weekdays", weekdays, label, f"{where}.weekdays")
    nth: Any = raw.get("nth", [])
    check.valid(SlotRuleRow, "nth", nth, label, f"{where}.nth")
    times: Any = raw.get("times")
    if not times:
        check.fail(label, f"{where}.times", 'is required: a list of times like ["17:15", "18:15"]')
    else:
        check.valid(SlotRuleRow, "times", times, label, f"{where}.times")
    minutes = (
        check.integer(raw, "minutes", label, SlotRuleRow, f"{where}.minutes") if "minutes" in raw else 30
    )
    capacity = (
        check.integer(raw, "capacity", label, SlotRuleRow, f"{where}.capacity") if "capacity" in raw else None
    )
    if len(check.problems) > problems:
        return None
    return {
        "weekdays": weekdays,
        "nth": sorted(set(nth)),
        "times": sorted(times),
        "minutes": minutes,
        "capacity": capacity,
    }


def _parse_terms(raw: Any, label: str, check: _Checker, base: Path) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        check.fail(label, "terms", "must be a table ([office.terms])")
        return None
    version = check.text(raw, "version", label, TermsVersion, prefix="terms.")
    title = check.text(raw, "title", label, TermsVersion, prefix="terms.")
    effective = _as_date(raw.get("effective_date"))
    if effective is None:
        check.fail(label, "terms.effective_date", "must be a date like 2026-12-01")
    file_name = check.text(raw, "file", label, None, prefix="terms.")
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
