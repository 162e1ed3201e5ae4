"""R11, SPEC §9: every staff view or export of personal data leaves exactly one audit entry,
written in the same request; entries cannot be changed from the console or the admin."""

from __future__ import annotations

import pytest
import time_machine

from bookings.models import Refusal
from console.models import AuditAction, AuditEntry
from tests.conftest import jst
from tests.console.conftest import pass_second_factor
from tests.front.helpers import confirmed

NOW = jst(2026, 12, 1, 17, 20)


@pytest.fixture
def booking(office_a):
    return confirmed(office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0))


@pytest.fixture
def signed_in(client, counsellor):
    with time_machine.travel(NOW, tick=False):
        client.force_login(counsellor)
        yield client


def only_entry() -> AuditEntry:
    [entry] = AuditEntry.objects.all()
    return entry


def test_the_day_view_leaves_one_entry(signed_in, booking, counsellor, office_a):
    assert signed_in.get("/staff/fukuoka-plaza/day/2026-12-01/").status_code == 200
    entry = only_entry()
    assert (entry.user, entry.username, entry.office, entry.action) == (
        counsellor,
        "soudan",
        office_a,
        AuditAction.DAY_VIEW,
    )
    assert (entry.target, entry.records, entry.at) == ("2026-12-01", 1, NOW)
    assert entry.ip_address == "127.0.0.1"


def test_an_empty_day_is_recorded_with_no_records(signed_in, booking):
    signed_in.get("/staff/fukuoka-plaza/day/2026-12-02/")
    assert only_entry().records == 0


def test_a_search_leaves_one_entry_with_what_was_searched(signed_in, booking):
    signed_in.post("/staff/fukuoka-plaza/search/", {"q": "taro@example.jp"})
    entry = only_entry()
    assert (entry.action, entry.target, entry.records) == (AuditAction.SEARCH, "taro@example.jp", 1)


def test_opening_the_search_form_reads_nothing(signed_in, booking):
    signed_in.get("/staff/fukuoka-plaza/search/")
    assert not AuditEntry.objects.exists()


def test_a_person_history_leaves_one_entry(signed_in, booking):
    signed_in.get(f"/staff/fukuoka-plaza/person/{booking.pk}/")
    entry = only_entry()
    assert (entry.action, entry.target, entry.records) == (AuditAction.PERSON, f"booking {booking.pk}", 1)


def test_the_refusal_list_leaves_one_entry(signed_in, office_a):
    Refusal.objects.create(office=office_a, email_key="x@example.jp", reason="脅迫")
    signed_in.get("/staff/fukuoka-plaza/refusals/")
    entry = only_entry()
    assert (entry.action, entry.records) == (AuditAction.REFUSALS, 1)


def test_an_export_leaves_one_entry(signed_in, booking):
    signed_in.get("/staff/fukuoka-plaza/export.csv?from=2026-12-01&to=2026-12-31")
    entry = only_entry()
    assert (entry.action, entry.target, entry.records) == (AuditAction.EXPORT, "2026-12-01..2026-12-31", 1)


def test_the_week_view_shows_no_personal_data_and_is_not_recorded(signed_in, booking):
    html = signed_in.get("/staff/fukuoka-plaza/week/2026-12-01/").content.decode()
    assert booking.name not in html and booking.email not in html
    assert not AuditEntry.objects.exists()


def test_a_refused_read_leaves_no_entry(client, counsellor, office_b):
    client.force_login(counsellor)
    assert client.get(f"/staff/{office_b.code}/day/2026-12-01/").status_code == 404
    assert not AuditEntry.objects.exists()


def test_entries_cannot_be_changed_or_deleted(signed_in, booking):
    signed_in.get("/staff/fukuoka-plaza/day/2026-12-01/")
    entry = only_entry()
    entry.records = 0
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(records=0)
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        entry.delete()
    assert only_entry().records == 1


def test_the_admin_shows_entries_read_only(client, office_admin, office_a, booking):
    with time_machine.travel(NOW, tick=False):
        client.force_login(office_admin)
        pass_second_factor(client, office_admin)
        client.get("/staff/fukuoka-plaza/day/2026-12-01/")
        entry = only_entry()
        page = client.get(f"/admin/console/auditentry/{entry.pk}/change/")
        assert page.status_code == 200
        assert 'name="records"' not in page.content.decode()
        post = client.post(f"/admin/console/auditentry/{entry.pk}/change/", {"records": "0", "target": "x"})
        assert post.status_code == 403
        assert (
            client.post(f"/admin/console/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
        )
        assert client.get("/admin/console/auditentry/add/").status_code == 403
    assert only_entry().records == 1


def test_office_admins_read_the_log_and_counsellors_cannot(client, counsellor, office_admin, booking):
    with time_machine.travel(NOW, tick=False):
        client.force_login(counsellor)
        client.get("/staff/fukuoka-plaza/day/2026-12-01/")
        assert client.get("/staff/fukuoka-plaza/audit/").status_code == 403
        client.force_login(office_admin)
        pass_second_factor(client, office_admin)
        html = client.get("/staff/fukuoka-plaza/audit/").content.decode()
    assert "soudan" in html and "1日の予約を表示" in html


def test_reading_the_access_records_leaves_one_entry(client, office_admin, office_a):
    with time_machine.travel(NOW, tick=False):
        client.force_login(office_admin)
        pass_second_factor(client, office_admin)
        assert client.get("/staff/fukuoka-plaza/records/?kind=booking").status_code == 200
    entry = only_entry()
    assert (entry.action, entry.target, entry.username) == (
        AuditAction.ACCESS_RECORDS,
        "kind=booking",
        "kanri",
    )
