from datetime import date

from madoguchi.dates import format_date, format_datetime, format_day_in_month, format_month, format_slot
from tests.conftest import jst


def test_it_writes_japanese_dates_the_japanese_way():
    assert format_date(date(2026, 12, 1), "ja") == "2026年12月1日（火）"
    assert format_datetime(jst(2026, 12, 1, 17, 15), "ja") == "2026年12月1日（火）17:15"
    assert (
        format_slot(jst(2026, 12, 1, 17, 15), jst(2026, 12, 1, 17, 45), "ja")
        == "2026年12月1日（火）17:15〜17:45"
    )


def test_it_names_the_zone_for_english_readers():
    assert format_date(date(2027, 1, 9), "en") == "Sat 9 January 2027"
    assert format_datetime(jst(2026, 12, 1, 9, 5), "en") == "Tue 1 December 2026, 09:05 JST"
    assert format_slot(jst(2026, 12, 1, 17, 15), jst(2026, 12, 1, 17, 45), "en") == (
        "Tue 1 December 2026, 17:15–17:45 JST"
    )


def test_it_names_the_calendar_months_and_days_under_them():
    assert format_month(date(2026, 12, 1), "ja") == "2026年12月"
    assert format_month(date(2027, 1, 9), "en") == "January 2027"
    assert format_day_in_month(date(2026, 12, 1), "ja") == "1日（火）"
    assert format_day_in_month(date(2027, 1, 9), "en") == "Sat 9"
