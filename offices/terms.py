"""Terms of use as data (R4, R12): the standard versions shipped with the project,
and which version an office has in force on a given day."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from offices.models import Office, PublishedTermsError, TermsVersion

STANDARD_DIR = Path(__file__).resolve().parent / "standard_terms"


def read_standard_terms(directory: Path = STANDARD_DIR) -> list[dict[str, Any]]:
    """The standard versions as listed in versions.toml, with their texts read in."""
    manifest = tomllib.loads((directory / "versions.toml").read_text(encoding="utf-8"))
    versions = []
    for entry in manifest["version"]:
        versions.append(
            {
                "version": entry["version"],
                "effective_date": entry["effective_date"],
                "title": entry["title"],
                "title_en": entry.get("title_en", ""),
                "body": (directory / entry["file"]).read_text(encoding="utf-8").strip(),
                "body_en": (directory / entry["file_en"]).read_text(encoding="utf-8").strip()
                if "file_en" in entry
                else "",
            }
        )
    return versions


@transaction.atomic
def publish_standard_terms(directory: Path = STANDARD_DIR) -> list[str]:
    """Store the shipped standard versions not yet in the database; return their ids.

    A version already stored with other content is an error: what people agreed
    to is never rewritten, so a new text must come with a new version id.
    """
    published = []
    for terms in read_standard_terms(directory):
        row = TermsVersion.objects.standard().filter(version=terms["version"]).first()
        if row is None:
            TermsVersion.objects.create(office=None, **terms)
            published.append(terms["version"])
        elif any(getattr(row, key) != value for key, value in terms.items()):
            raise PublishedTermsError(
                f"standard terms {terms['version']!r} are already published with other content; "
                "give the new text a new version in offices/standard_terms/versions.toml"
            )
    return published


class Unset:
    """No value given (None is a value: no terms in force)."""


UNSET = Unset()


def terms_in_force(office: Office, *, today: date) -> TermsVersion | None:
    """R4/R12: the office's own newest version in effect, else the standard one."""
    # One query: the office's own versions sort before the standard ones (office NULL).
    return (
        TermsVersion.objects.filter(Q(office=office) | Q(office__isnull=True), effective_date__lte=today)
        .order_by(F("office").asc(nulls_last=True), "-effective_date", "-pk")
        .select_related("office")
        .first()
    )


def terms_by_version(office: Office, version: str) -> TermsVersion | None:
    """A version the office's pages may show: one of its own or a standard one."""
    return (
        TermsVersion.objects.filter(office=office, version=version).first()
        or TermsVersion.objects.standard().filter(version=version).first()
    )


def next_terms(
    office: Office, *, today: date, current: TermsVersion | Unset | None = UNSET
) -> TermsVersion | None:
    """R12: the version that will replace today's, once published and not yet in force.

    `current` saves a query when the caller already has today's terms_in_force.
    """
    if isinstance(current, Unset):
        current = terms_in_force(office, today=today)
    coming = (
        TermsVersion.objects.filter(effective_date__gt=today)
        .filter(Q(office=office) | Q(office__isnull=True))
        .order_by("effective_date")
        .values_list("effective_date", flat=True)
        .distinct()
    )
    for day in coming:
        then = terms_in_force(office, today=day)
        if then is not None and then != current:
            return then
    return None
