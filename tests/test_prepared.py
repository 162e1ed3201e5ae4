"""Prepared queries (madoguchi/prepared.py) answer as the querysets they are built from."""

from __future__ import annotations

from django.forms.models import model_to_dict

from bookings.selectors import hold_facts
from offices.models import Office
from offices.services import bookable_slots, office_by_code
from tests.bookings.factories import hold
from tests.conftest import jst

NOW = jst(2026, 11, 30, 10, 0)


def test_the_office_by_code_is_the_office_the_orm_reads(fukuoka):
    found = office_by_code("fukuoka-plaza")
    assert isinstance(found, Office)
    stored = Office.objects.get(code="fukuoka-plaza")
    assert (found.pk, found.revision, model_to_dict(found)) == (
        stored.pk,
        stored.revision,
        model_to_dict(stored),
    )
    assert office_by_code("nowhere") is None


def test_the_facts_of_a_hold_come_back_as_python_values(fukuoka):
    slot = bookable_slots(fukuoka, now=NOW)[0]
    booking = hold(fukuoka, slot.start, now=NOW)
    mine = hold_facts(fukuoka, slot, email_key=booking.email_key, phone_key="+810000000000", now=NOW)
    assert (mine.refused, mine.existing, mine.holding, mine.top) == (False, booking.pk, 1, 1)
    other = hold_facts(fukuoka, slot, email_key="hanako@example.jp", phone_key="+818098765432", now=NOW)
    assert (other.existing, other.holding) == (None, 1)
