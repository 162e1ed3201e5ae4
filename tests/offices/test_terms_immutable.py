"""R12: a published terms version is never rewritten, by any path; the standard
terms ship with the project and apply where an office has none of its own."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from offices.models import PublishedTermsError, TermsVersion
from offices.terms import STANDARD_DIR, publish_standard_terms, read_standard_terms, terms_in_force
from tests.bookings.factories import second_office
from tests.console.conftest import pass_second_factor

STANDARD = read_standard_terms()[-1]


def test_migrate_publishes_the_standard_terms_with_both_texts(db):
    row = TermsVersion.objects.standard().get(version=STANDARD["version"])
    assert row.effective_date == STANDARD["effective_date"]
    assert row.body.startswith("この規約は") and row.body_en.startswith("These are the standard terms")


def test_publishing_again_changes_nothing(db):
    before = list(TermsVersion.objects.values())
    assert publish_standard_terms() == []
    assert list(TermsVersion.objects.values()) == before


def test_publishing_refuses_new_text_under_a_shipped_version(db, tmp_path: Path):
    shipped = tmp_path / "standard_terms"
    shutil.copytree(STANDARD_DIR, shipped)
    text = shipped / next(p.name for p in STANDARD_DIR.glob("*.ja.txt"))
    text.write_text(text.read_text(encoding="utf-8") + "\n第99条 追加", encoding="utf-8")
    with pytest.raises(PublishedTermsError, match="give the new text a new version"):
        publish_standard_terms(shipped)
    assert TermsVersion.objects.standard().get(version=STANDARD["version"]).body == STANDARD["body"]


def test_the_model_refuses_to_rewrite_a_saved_version(db):
    row = TermsVersion.objects.standard().get()
    row.body = "書き換えた本文"
    with pytest.raises(PublishedTermsError):
        row.save()
    with pytest.raises(PublishedTermsError):
        TermsVersion.objects.filter(pk=row.pk).update(effective_date=date(2030, 1, 1))
    assert TermsVersion.objects.get(pk=row.pk).body == STANDARD["body"]


def test_the_admin_shows_a_published_version_but_cannot_change_it(db, client):
    office = second_office()
    own = office.terms_versions.get()
    root = User.objects.create_superuser("root", "root@example.jp", "x")
    client.force_login(root)
    pass_second_factor(client, root)
    url = f"/admin/offices/termsversion/{own.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="body"' not in page  # shown as text, not as a field
    response = client.post(
        url,
        {
            "office": office.pk,
            "version": own.version,
            "effective_date": "2020-01-01",
            "title": "改",
            "body": "改",
        },
    )
    assert response.status_code in (200, 302, 403)
    own.refresh_from_db()
    assert (own.title, own.body) == ("規約", "本文")


def test_the_admin_publishes_a_new_version_for_an_office(db, client):
    office = second_office()
    root = User.objects.create_superuser("root", "root@example.jp", "x")
    client.force_login(root)
    pass_second_factor(client, root)
    response = client.post(
        "/admin/offices/termsversion/add/",
        {
            "office": office.pk,
            "version": "2",
            "effective_date": "2027-04-01",
            "title": "改定版",
            "body": "新本文",
        },
    )
    assert response.status_code == 302
    assert office.terms_versions.get(version="2").body == "新本文"


def test_an_office_without_terms_in_force_uses_the_standard_ones(db):
    office = second_office()
    office.terms_versions.all().delete()
    assert terms_in_force(office, today=STANDARD["effective_date"]).version == STANDARD["version"]
    # Nothing is in force before the standard terms take effect.
    assert terms_in_force(office, today=date(2026, 1, 1)) is None


def test_an_office_keeps_its_own_terms(db):
    office = second_office()
    assert terms_in_force(office, today=date(2027, 1, 1)).version == "1"


def test_own_terms_published_for_later_take_over_on_their_date(db):
    office = second_office()
    office.terms_versions.all().delete()
    TermsVersion.objects.create(
        office=office, version="own-1", effective_date=date(2027, 4, 1), title="独自", body="本文"
    )
    assert terms_in_force(office, today=date(2027, 3, 31)).is_standard
    assert terms_in_force(office, today=date(2027, 4, 1)).version == "own-1"
