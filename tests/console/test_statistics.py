"""R10: statistics per office and week, aggregated only: the figures, the chart page and the CSV."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking, Status
from bookings.services import (
    booking_cancel,
    booking_cancel_by_phone,
    expire_due_holds,
    mark_attended,
    mark_no_shows,
)
from bookings.statistics import WeekStats, weekly_statistics
from console.models import AuditEntry
from console.views.statistics import build_chart
from offices.models import Closure, Office, SlotRuleRow, TermsVersion
from tests.conftest import jst
from tests.front.helpers import cancel_token, confirmed, hold
from tests.front.test_page_hygiene import audit

PAGE = "/staff/fukuoka-plaza/statistics/"
CSV = "/staff/fukuoka-plaza/statistics.csv"
WEEK_OF_30_NOV = date(2026, 11, 30)


def person(n: int) -> dict[str, str]:
    """Distinct people: one active booking per person per office (SPEC §6)."""
    return {"name": f"統計 太郎{n}", "email": f"stats{n}@example.jp", "phone": f"090-2000-{n:04d}"}


def one_week(office: Office, monday: date, *, now) -> WeekStats:
    [week] = weekly_statistics(office, first_week=monday, weeks=1, now=now)
    return week


def figures(week: WeekStats) -> dict[str, int]:
    return {
        name: getattr(week, name)
        for name in (
            "bookings",
            "confirmed",
            "expired",
            "cancelled_by_link",
            "cancelled_by_phone",
            "no_show",
            "attended",
            "pending",
            "upcoming",
        )
    }


@pytest.fixture
def busy_week(office_a: Office) -> dict[str, Booking]:
    """The week of Monday 30 November 2026 at Fukuoka with three seats per slot, seen on
    Thursday 3 December at 12:00: every outcome, some recorded by the worker or staff, some not."""
    office_a.capacity = 3
    office_a.save()
    tue_early, tue_late = jst(2026, 12, 1, 17, 15), jst(2026, 12, 1, 18, 15)
    thu_early, thu_late = jst(2026, 12, 3, 17, 15), jst(2026, 12, 3, 18, 15)
    booked = jst(2026, 11, 30, 10, 0)
    b = {
        "attended": confirmed(office_a, tue_early, now=booked, **person(1)),
        "no_show_marked": confirmed(office_a, tue_early, now=booked, **person(2)),
        "no_show_unmarked": confirmed(office_a, tue_late, now=booked, **person(3)),
        "expired_marked": hold(office_a, tue_late, now=booked, **person(4)),
        "by_link": confirmed(office_a, thu_early, now=booked, **person(5)),
        "by_phone": confirmed(office_a, thu_early, now=booked, **person(6)),
        "upcoming": confirmed(office_a, thu_early, now=booked, **person(7)),
    }
    expire_due_holds(now=jst(2026, 11, 30, 11, 0), office=office_a)
    # Made after the worker's run above, and never confirmed: expired by the rule only (R5).
    b["expired_unmarked"] = hold(office_a, tue_late, now=jst(2026, 11, 30, 12, 0), **person(8))
    mark_attended(booking=b["attended"], now=jst(2026, 12, 1, 17, 16))
    mark_no_shows(now=jst(2026, 12, 1, 17, 30))  # the 18:15 booking is not due yet
    booking_cancel(token=cancel_token(b["by_link"]), now=jst(2026, 12, 2, 10, 0))
    booking_cancel_by_phone(booking=b["by_phone"], now=jst(2026, 12, 3, 10, 0))
    b["pending"] = hold(office_a, thu_late, now=jst(2026, 12, 3, 11, 30), **person(9))
    return b


def test_it_counts_each_outcome_as_the_rules_see_it_whether_or_not_the_worker_ran(office_a, busy_week):
    now = jst(2026, 12, 3, 12, 0)
    week = one_week(office_a, WEEK_OF_30_NOV, now=now)
    assert figures(week) == {
        "bookings": 9,
        "confirmed": 6,  # ever confirmed: the attended, both no-shows, both cancelled, the upcoming
        "expired": 2,
        "cancelled_by_link": 1,
        "cancelled_by_phone": 1,
        "no_show": 2,
        "attended": 1,
        "pending": 1,
        "upcoming": 1,
    }
    # Unmarked in the database, counted by the rules.
    stored = Booking.objects.in_bulk([busy_week["expired_unmarked"].pk, busy_week["no_show_unmarked"].pk])
    assert stored[busy_week["expired_unmarked"].pk].status == Status.PENDING
    assert stored[busy_week["no_show_unmarked"].pk].status == Status.CONFIRMED
    # The same outcomes as status_at gives for each booking.
    seen = Counter(booking.status_at(now) for booking in Booking.objects.filter(office=office_a))
    assert (seen[Status.EXPIRED], seen[Status.NO_SHOW], seen[Status.ATTENDED]) == (2, 2, 1)
    assert (seen[Status.PENDING], seen[Status.CONFIRMED], seen[Status.CANCELLED]) == (1, 1, 2)


def test_the_outcomes_add_up_to_the_bookings(office_a, busy_week):
    week = one_week(office_a, WEEK_OF_30_NOV, now=jst(2026, 12, 3, 12, 0))
    outcomes = figures(week)
    del outcomes["bookings"], outcomes["confirmed"]
    assert sum(outcomes.values()) == week.bookings


def test_seats_used_are_those_held_to_the_end(office_a, busy_week):
    week = one_week(office_a, WEEK_OF_30_NOV, now=jst(2026, 12, 3, 12, 0))
    # Tue 17:15: attended + no-show; Tue 18:15: the unmarked no-show; Thu 17:15: the upcoming one.
    # Not the pending hold of Thu 18:15, nor the cancelled and expired ones (their seats came back).
    assert (week.seats_offered, week.seats_used) == (4 * 3, 4)
    assert week.share_used == pytest.approx(4 / 12)


@pytest.mark.parametrize(
    ("now", "figure"),
    [
        (jst(2026, 12, 1, 17, 24, 59), "upcoming"),
        (jst(2026, 12, 1, 17, 25), "no_show"),  # R8: ten minutes after the start
    ],
)
def test_a_confirmed_booking_is_a_no_show_from_ten_minutes_after_its_start(office_a, now, figure):
    confirmed(office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0))
    week = one_week(office_a, WEEK_OF_30_NOV, now=now)
    assert {name for name, count in figures(week).items() if count} == {"bookings", "confirmed", figure}


@pytest.mark.parametrize(
    ("now", "figure"),
    [
        (jst(2026, 11, 30, 10, 59, 59), "pending"),
        (jst(2026, 11, 30, 11, 0), "expired"),  # R5: the hold ends at expires_at, worker or not
    ],
)
def test_a_hold_is_expired_from_its_expiry(office_a, now, figure):
    hold(office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0))
    week = one_week(office_a, WEEK_OF_30_NOV, now=now)
    assert {name for name, count in figures(week).items() if count} == {"bookings", figure}


def midnight_office() -> Office:
    """Slots on either side of the week's edge: Sunday 23:59 and Monday 00:00, Japan time."""
    office = Office.objects.create(
        code="midnight",
        name="深夜窓口",
        phone="03-0000-0000",
        timezone="Asia/Tokyo",
        capacity=5,
        horizon_days=60,
        meeting_url="https://meet.example.org/fixed-room",
    )
    SlotRuleRow.objects.create(office=office, weekdays=["sun"], times=["23:59"], minutes=30)
    SlotRuleRow.objects.create(office=office, weekdays=["mon"], times=["00:00"], minutes=30, position=1)
    TermsVersion.objects.create(
        office=office, version="1", effective_date=date(2020, 1, 1), title="規約", body="本文"
    )
    return office


def every_outcome(office: Office, start, *, first: int) -> None:
    booked = start - timedelta(days=3)
    attended = confirmed(office, start, now=booked, **person(first))
    confirmed(office, start, now=booked, **person(first + 1))  # left unmarked: a no-show by the rule
    hold(office, start, now=booked, **person(first + 2))  # never confirmed: expired by the rule
    by_link = confirmed(office, start, now=booked, **person(first + 3))
    by_phone = confirmed(office, start, now=booked, **person(first + 4))
    booking_cancel(token=cancel_token(by_link), now=start - timedelta(days=1))  # R7: the day before
    booking_cancel_by_phone(booking=by_phone, now=start - timedelta(hours=1))
    mark_attended(booking=attended, now=start + timedelta(minutes=1))


def test_a_booking_belongs_to_the_week_of_its_start_in_office_time(db):
    office = midnight_office()
    every_outcome(office, jst(2026, 12, 6, 23, 59), first=10)  # Sunday: the week of 30 November
    every_outcome(office, jst(2026, 12, 7, 0, 0), first=20)  # Monday: its own week (Sunday 15:00 UTC)
    before, after = weekly_statistics(office, first_week=WEEK_OF_30_NOV, weeks=2, now=jst(2026, 12, 8, 12, 0))
    assert (before.week_start, after.week_start) == (date(2026, 11, 30), date(2026, 12, 7))
    each_once = {
        "bookings": 5,
        "confirmed": 4,
        "expired": 1,
        "cancelled_by_link": 1,
        "cancelled_by_phone": 1,
        "no_show": 1,
        "attended": 1,
        "pending": 0,
        "upcoming": 0,
    }
    assert figures(before) == each_once
    assert figures(after) == each_once
    # Mon 30 Nov 00:00 and Sun 6 Dec 23:59; Mon 7 Dec 00:00 and Sun 13 Dec 23:59: five seats each.
    assert (before.seats_offered, before.seats_used) == (10, 2)
    assert (after.seats_offered, after.seats_used) == (10, 2)


def test_weeks_start_on_the_monday_of_the_first_date_given(office_a, busy_week):
    from_thursday = weekly_statistics(
        office_a, first_week=date(2026, 12, 3), weeks=1, now=jst(2026, 12, 3, 12)
    )
    assert from_thursday[0].week_start == WEEK_OF_30_NOV
    assert from_thursday[0].bookings == 9


@pytest.fixture
def demo_week(office_a: Office) -> None:
    """Fukuoka as shipped (one seat a slot), the week of Monday 7 December 2026: Tuesday and
    Thursday 17:15 and 18:15, and the 2nd Saturday 11:00, 13:00, 14:00 and 15:00 (R2)."""
    booked = jst(2026, 12, 5, 10, 0)
    tue = confirmed(office_a, jst(2026, 12, 8, 17, 15), now=booked, **person(1))
    confirmed(office_a, jst(2026, 12, 8, 18, 15), now=booked, **person(2))  # unmarked: no-show
    gone = confirmed(office_a, jst(2026, 12, 10, 17, 15), now=booked, **person(3))
    hold(office_a, jst(2026, 12, 10, 18, 15), now=booked, **person(4))  # never confirmed
    sat_11 = confirmed(office_a, jst(2026, 12, 12, 11, 0), now=booked, **person(5))
    sat_13 = confirmed(office_a, jst(2026, 12, 12, 13, 0), now=booked, **person(6))
    booking_cancel(token=cancel_token(gone), now=jst(2026, 12, 9, 9, 0))
    # The seat given back is taken again, by someone who does not turn up.
    confirmed(office_a, jst(2026, 12, 10, 17, 15), now=jst(2026, 12, 9, 12, 0), **person(7))
    for booking, start in [
        (tue, jst(2026, 12, 8, 17, 15)),
        (sat_11, jst(2026, 12, 12, 11)),
        (sat_13, jst(2026, 12, 12, 13)),
    ]:
        mark_attended(booking=booking, now=start + timedelta(minutes=2))


def test_the_share_of_slots_used_in_a_week_of_the_demo_office(office_a, demo_week):
    week = one_week(office_a, date(2026, 12, 7), now=jst(2026, 12, 13, 12, 0))
    assert week.seats_offered == 8  # 2 + 2 + 4 slots of one seat, no closed day
    # Tue 17:15 attended, Tue 18:15 no-show, Thu 17:15 the second booking (no-show),
    # Sat 11:00 and 13:00 attended; Thu 18:15 expired, Sat 14:00 and 15:00 empty.
    assert week.seats_used == 5
    assert week.share_used == 5 / 8
    assert (week.bookings, week.attended, week.no_show) == (7, 3, 2)
    assert (week.expired, week.cancelled_by_link) == (1, 1)


def test_the_seats_offered_leave_out_closed_days(office_a):
    culture_day, year_end = date(2026, 11, 2), date(2026, 12, 28)
    now = jst(2026, 12, 1, 12, 0)
    # Tuesday 3 November is a national holiday: only Thursday's two slots (R3).
    assert one_week(office_a, culture_day, now=now).seats_offered == 2
    # 29 December to 3 January: nothing offered, and no share to give.
    nothing = one_week(office_a, year_end, now=now)
    assert (nothing.seats_offered, nothing.share_used) == (0, None)


def test_a_closure_entered_after_the_bookings_keeps_the_share_within_the_seats_offered(office_a, demo_week):
    Closure.objects.create(office=office_a, date=date(2026, 12, 12), reason="臨時閉庁")
    week = one_week(office_a, date(2026, 12, 7), now=jst(2026, 12, 13, 12, 0))
    assert week.bookings == 7  # still counted as bookings and outcomes
    assert (week.seats_offered, week.seats_used) == (4, 3)


def test_the_figures_use_only_what_retention_keeps(office_a, busy_week, demo_week):
    now = jst(2026, 12, 13, 12, 0)
    before = weekly_statistics(office_a, first_week=WEEK_OF_30_NOV, weeks=3, now=now)
    # Everything retention may erase or anonymise: gone, for bookings whose slot has ended.
    ended = Booking.objects.filter(end__lte=now)
    assert ended.count() == Booking.objects.count()
    ended.update(
        name="",
        email="",
        email_key="",
        phone="",
        phone_key="",
        jobseeker_number="",
        note="",
        staff_note="",
        meeting_url="",
        support=False,
        language="",
        expires_at=jst(2099, 1, 1),
        cancelled_at=None,
        attended_at=None,
        no_show_at=None,
        reminder_sent_at=None,
    )
    assert weekly_statistics(office_a, first_week=WEEK_OF_30_NOV, weeks=3, now=now) == before


def test_it_asks_the_database_once_whatever_the_number_of_weeks(office_a, busy_week):
    now = jst(2026, 12, 3, 12, 0)
    counts = []
    for weeks in (1, 52):
        with CaptureQueriesContext(connection) as queries:
            weekly_statistics(office_a, first_week=WEEK_OF_30_NOV, weeks=weeks, now=now)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 3  # the bookings' aggregate, the timetable and the closures


# ---- The pages ----------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, counsellor):
    with time_machine.travel(jst(2026, 12, 3, 12, 0), tick=False):
        client.force_login(counsellor)
        yield client


def test_the_page_shows_the_twelve_weeks_ending_with_this_week_by_default(signed_in, busy_week):
    response = signed_in.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026年9月14日（月）〜2026年12月6日（日）（12週間）" in re.sub("<[^>]+>", "", html)
    assert html.count('<th scope="row">') == 12 + 1  # the weeks and the total
    assert 'class="is-current"' in html
    assert 'href="/staff/fukuoka-plaza/statistics.csv?from=2026-09-14&amp;weeks=12"' in html


def test_the_page_has_a_described_chart_a_legend_and_a_table_with_headers(signed_in, busy_week):
    html = signed_in.get(PAGE, {"from": "2026-11-30", "weeks": "1"}).content.decode()
    assert 'role="img" aria-labelledby="stats-chart-title stats-chart-desc"' in html
    assert '<title id="stats-chart-title">' in html
    summary = "この期間の予約は 9 件で、相談済み 1 件、無断欠席 2 件、キャンセル 2 件、期限切れ 2 件でした。"
    assert summary in html
    assert "枠の利用率は期間全体で 33% です。" in html
    legend = [
        "相談済み",
        "無断欠席",
        "相談前・確認待ち",
        "キャンセル",
        "期限切れ",
        "枠の利用率（右の目盛り）",
    ]
    assert [label for label in legend if f"</svg>{label}</li>" not in html] == []
    headers = ["予約数", "確定", "期限切れ", "リンクでキャンセル", "電話でキャンセル", "無断欠席", "相談済み"]
    assert [h for h in headers if f'<th scope="col">{h}</th>' not in html] == []
    row = "<td>9</td><td>6</td><td>2</td><td>1</td><td>1</td><td>2</td><td>1</td><td>1</td><td>1</td><td>12</td><td>4</td><td>33%</td>"
    assert row in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_page_holds_under_a_strict_policy(signed_in, busy_week, language):
    response = signed_in.get(PAGE, headers={"accept-language": language})
    result = audit(response.content.decode())
    assert result.problems == []
    assert result.html_lang == language
    assert result.h1 == 1
    assert [f for f in result.fields if f not in result.label_targets] == []
    assert not {i for i in result.ids if result.ids.count(i) > 1}


def test_the_page_and_the_csv_show_no_personal_data_and_leave_no_audit_entry(signed_in, busy_week):
    audited = AuditEntry.objects.count()
    query = {"from": "2026-11-30", "weeks": "2"}
    page = signed_in.get(PAGE, query).content.decode()
    shown = page + signed_in.get(CSV, query).content.decode("utf-8-sig")
    for booking in busy_week.values():
        for value in (booking.name, booking.email, booking.phone, booking.phone_key, str(booking.pk)):
            assert value not in shown
    assert "統計 太郎" not in shown and "@example.jp" not in shown
    assert AuditEntry.objects.count() == audited


def test_the_csv_has_a_bom_crlf_a_header_and_one_row_per_week(signed_in, busy_week):
    response = signed_in.get(CSV, {"from": "2026-11-30", "weeks": "5"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="fukuoka-plaza_statistics_20261130-20270103.csv"' in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body[3:].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == [
        "week_start",
        "bookings",
        "confirmed",
        "expired",
        "cancelled_by_link",
        "cancelled_by_phone",
        "no_show",
        "attended",
        "pending",
        "upcoming",
        "seats_offered",
        "seats_used",
        "share_used",
    ]
    assert [row[0] for row in rows] == ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"]
    assert rows[0] == ["2026-11-30", "9", "6", "2", "1", "1", "2", "1", "1", "1", "12", "4", "0.3333"]
    assert rows[1][-3:] == ["24", "0", "0.0000"]  # 8 slots of three seats, none taken yet
    assert rows[4][-3:] == ["0", "0", ""]  # the year-end closure: no share


def test_the_csv_gives_the_share_of_the_demo_week_as_a_decimal(client, counsellor, demo_week):
    with time_machine.travel(jst(2026, 12, 13, 12, 0), tick=False):
        client.force_login(counsellor)
        text = client.get(CSV, {"from": "2026-12-07", "weeks": "1"}).content.decode("utf-8-sig")
        html = client.get(PAGE, {"from": "2026-12-07", "weeks": "1"}).content.decode()
    assert text.splitlines()[1].endswith(",8,5,0.6250")
    assert "<td>8</td><td>5</td><td>63%</td>" in html  # 62.5% rounded half up


@pytest.mark.parametrize("url", [PAGE, CSV])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"weeks": "0"}, "週数（weeks）は 1 から 104 までの整数で指定してください。"),
        ({"weeks": "105"}, "週数（weeks）は 1 から 104 までの整数で指定してください。"),
        ({"weeks": "-3"}, "週数（weeks）は 1 から 104 までの整数で指定してください。"),
        ({"weeks": "1e3"}, "週数（weeks）は 1 から 104 までの整数で指定してください。"),
        ({"weeks": "１２"}, "週数（weeks）は 1 から 104 までの整数で指定してください。"),
        ({"from": "2026-13-01"}, "開始日（from）は 2000-01-01 から 2100-12-31 までの日付を"),
        ({"from": "yesterday"}, "開始日（from）は 2000-01-01 から 2100-12-31 までの日付を"),
        ({"from": "20261201"}, "開始日（from）は 2000-01-01 から 2100-12-31 までの日付を"),
        ({"from": "9999-12-31", "weeks": "104"}, "開始日（from）は 2000-01-01 から 2100-12-31 までの日付を"),
        ({"from": "0001-01-01"}, "開始日（from）は 2000-01-01 から 2100-12-31 までの日付を"),
    ],
)
def test_it_explains_bad_query_parameters_with_a_400(signed_in, url, query, message):
    response = signed_in.get(url, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="alert" role="alert"' in html
    assert message in html


def test_the_latest_dates_allowed_still_work(signed_in):
    assert signed_in.get(PAGE, {"from": "2100-12-31", "weeks": "104"}).status_code == 200
    assert signed_in.get(CSV, {"from": "2000-01-01", "weeks": "104"}).status_code == 200


@pytest.mark.parametrize("url", ["/staff/office-b/statistics/", "/staff/office-b/statistics.csv"])
def test_another_offices_statistics_do_not_exist_for_its_staff(signed_in, office_b, url):
    assert signed_in.get(url).status_code == 404


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, office_a, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_the_chart_stacks_the_outcomes_to_the_bookings_and_breaks_the_share_where_nothing_was_offered():
    monday = date(2026, 12, 14)
    weeks = [
        WeekStats(week_start=monday, bookings=6, attended=3, no_show=1, cancelled_by_link=1, expired=1,
                  seats_offered=8, seats_used=4),
        WeekStats(week_start=monday + timedelta(days=7), seats_offered=8),
        WeekStats(week_start=monday + timedelta(days=14)),  # the year-end closure: no share
        WeekStats(week_start=monday + timedelta(days=21), bookings=2, upcoming=1, pending=1,
                  seats_offered=4, seats_used=1),
    ]  # fmt: skip
    chart = build_chart(weeks)
    first = chart.columns[0]
    assert [s.kind for s in first.segments] == ["attended", "no_show", "cancelled", "expired"]
    drawn = sum(s.height for s in first.segments)
    assert drawn == pytest.approx(chart.bottom - first.total_y - 5, abs=0.3)  # up to the total's mark
    assert [s.kind for s in chart.columns[3].segments] == ["ahead"]
    assert chart.columns[1].segments == []
    # 50% then 0%, a gap, then a lone 25% still marked.
    assert len(chart.share_lines) == 1
    assert [y for _x, y in chart.share_points] == [156.0, 276.0, 216.0]
    assert [c.label for c in chart.columns] == ["12/14", "12/21", "12/28", "1/4"]
