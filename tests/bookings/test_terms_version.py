"""R4/R12: a booking records the version of the terms agreed, and keeps it."""

from datetime import date

from offices.models import TermsVersion
from tests.bookings.factories import OTHER, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
LATER = jst(2026, 12, 3, 17, 15)


def test_it_records_the_version_in_effect(fukuoka):
    booking = hold(fukuoka, START, now=jst(2026, 11, 26, 10, 0))
    assert booking.terms.version == "demo-1"


def test_it_switches_to_a_new_version_on_its_effective_date(fukuoka):
    TermsVersion.objects.create(
        office=fukuoka, version="2026-11-27", effective_date=date(2026, 11, 27), title="改定版", body="本文"
    )
    before = hold(fukuoka, START, now=jst(2026, 11, 26, 23, 59, 59))
    after = hold(fukuoka, LATER, now=jst(2026, 11, 27, 0, 0), **OTHER)
    before.refresh_from_db()
    assert before.terms.version == "demo-1"
    assert after.terms.version == "2026-11-27"
