"""Statistics per office and week (R10): a chart drawn on the server, a table, and a CSV.

Only aggregated counts are shown, never a booking, a person or a device, so these
pages write no audit entry (R11 audits reads of personal data) and every member of
the office's staff may open them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bookings.statistics import WeekStats, monday_of, total_of, weekly_statistics
from console.access import office_page as office_view
from madoguchi.dates import format_date
from offices.models import Office
from offices.services import office_today

DEFAULT_WEEKS = 12
MAX_WEEKS = 104
# Dates far outside any office's life would only overflow the calendar arithmetic.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WEEKS = re.compile(r"[0-9]{1,3}")

CSV_COLUMNS = [
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


class PeriodError(ValueError):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Period:
    first: date  # a Monday, office time
    weeks: int

    @property
    def last(self) -> date:
        """The Sunday that ends the period."""
        return self.first + timedelta(days=7 * self.weeks - 1)

    def query(self, *, shift: int = 0) -> str:
        first = self.first + timedelta(days=7 * self.weeks * shift)
        return urlencode({"from": first.isoformat(), "weeks": self.weeks})


def parse_period(query: Mapping[str, str], *, today: date) -> Period:
    """`?from=YYYY-MM-DD&weeks=N`; by default the weeks that end with the current one."""
    raw_weeks = query.get("weeks", "").strip()
    weeks = DEFAULT_WEEKS
    if raw_weeks:
        if not WEEKS.fullmatch(raw_weeks) or not 1 <= int(raw_weeks) <= MAX_WEEKS:
            raise PeriodError(
                _("週数（weeks）は 1 から %(max)s までの整数で指定してください。") % {"max": MAX_WEEKS}
            )
        weeks = int(raw_weeks)
    raw_from = query.get("from", "").strip()
    if not raw_from:
        return Period(first=monday_of(today) - timedelta(days=7 * (weeks - 1)), weeks=weeks)
    try:
        first = date.fromisoformat(raw_from) if ISO_DATE.fullmatch(raw_from) else None
    except ValueError:
        first = None
    if first is None or not EARLIEST <= first <= LATEST:
        raise PeriodError(
            _("開始日（from）は 2000-01-01 から 2100-12-31 までの日付を YYYY-MM-DD の形で指定してください。")
        )
    return Period(first=monday_of(first), weeks=weeks)


def percent(used: int, offered: int) -> str:
    """The share as people read it, rounded half up: 5 of 8 is "63%"."""
    value = (Decimal(used) * 100 / Decimal(offered)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{value}%"


def share_decimal(week: WeekStats) -> str:
    """The share for a spreadsheet: "0.6250"; empty for a week that offered no seats."""
    if not week.seats_offered:
        return ""
    value = Decimal(week.seats_used) / Decimal(week.seats_offered)
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


# ---- The chart: geometry here, drawing in console/_stats_chart.html -------------------------

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 44, 676, 36, 276  # the plot area, in viewBox units
MAX_DATE_LABELS = 13
# Stacked from the baseline up; each kind has a fill pattern and a label (never colour alone).
SEGMENTS: list[tuple[str, str | Promise]] = [
    ("attended", _("相談済み")),
    ("no_show", _("無断欠席")),
    ("ahead", _("相談前・確認待ち")),
    ("cancelled", _("キャンセル")),
    ("expired", _("期限切れ")),
]


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Segment:
    kind: str
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    x: float
    width: float
    centre: float
    label: str  # empty: no date under this column (too many weeks to label them all)
    total: int
    total_y: float
    show_total: bool
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    columns: list[Column]
    ticks: list[Tick]
    share_ticks: list[Tick]
    share_lines: list[str]  # polyline points, broken where a week offered no seats
    share_points: list[tuple[float, float]]  # marked only while the weeks are wide enough


def nice_step(peak: int, *, most: int = 5) -> int:
    """A step of 1, 2 or 5 × 10ⁿ that covers `peak` in at most `most` ticks."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if peak <= step * most:
                return step
        magnitude *= 10


def build_chart(weeks: list[WeekStats]) -> Chart:
    peak = max(4, *(week.bookings for week in weeks))
    step = nice_step(peak)
    top_value = math.ceil(peak / step) * step
    span = BOTTOM - TOP

    def y_of(value: float) -> float:
        return round(BOTTOM - value / top_value * span, 1)

    band = (RIGHT - LEFT) / len(weeks)
    bar = min(band * 0.62, 44)
    label_every = math.ceil(len(weeks) / MAX_DATE_LABELS)
    columns = []
    lines: list[list[tuple[float, float]]] = [[]]
    for n, week in enumerate(weeks):
        x = LEFT + band * n + (band - bar) / 2
        centre = round(LEFT + band * n + band / 2, 1)
        base = 0
        segments = []
        for kind, _label in SEGMENTS:
            count = getattr(week, kind)
            if count:
                segments.append(
                    Segment(kind=kind, y=y_of(base + count), height=round(count / top_value * span, 1))
                )
                base += count
        columns.append(
            Column(
                x=round(x, 1),
                width=round(bar, 1),
                centre=centre,
                label=f"{week.week_start.month}/{week.week_start.day}" if n % label_every == 0 else "",
                total=week.bookings,
                total_y=y_of(week.bookings) - 5,
                show_total=band >= 18,
                segments=segments,
            )
        )
        share = week.share_used
        if share is None:
            lines.append([])
            continue
        lines[-1].append((centre, round(BOTTOM - share * span, 1)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        columns=columns,
        ticks=[Tick(y=y_of(v), label=str(v)) for v in range(0, top_value + 1, step)],
        share_ticks=[Tick(y=round(BOTTOM - p / 100 * span, 1), label=f"{p}%") for p in (0, 50, 100)],
        share_lines=[" ".join(f"{x},{y}" for x, y in line) for line in lines if len(line) > 1],
        # Every week marked while there is room; then only a week without neighbours to join.
        share_points=[point for line in lines for point in line if band >= 14 or len(line) == 1],
    )


# ---- Views ------------------------------------------------------------------------------------


def _language() -> str:
    return (translation.get_language() or "ja")[:2]


def _row(week: WeekStats, *, current: date) -> dict[str, Any]:
    return {
        "stats": week,
        "label": format_date(week.week_start, _language()),
        "is_current": week.week_start == current,
        "share": percent(week.seats_used, week.seats_offered) if week.seats_offered else "",
    }


def _page(
    request: HttpRequest, office: Office, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, "console/statistics.html", {"office": office, **context}, status=status)


@office_view()
def statistics(request: HttpRequest, office: Office) -> HttpResponse:
    # No audit entry: counts per week only, nothing that identifies a person or a device.
    now = timezone.now()
    today = office_today(office, now=now)
    try:
        period = parse_period(request.GET, today=today)
    except PeriodError as exc:
        default = parse_period({}, today=today)
        return _page(request, office, {"problem": exc.message, "period": default}, status=400)
    weeks = weekly_statistics(office, first_week=period.first, weeks=period.weeks, now=now)
    total = total_of(weeks)
    current = monday_of(today)
    url = reverse("console:statistics", args=[office.code])
    return _page(
        request,
        office,
        {
            "period": period,
            # A date is not broken across lines in the heading.
            "first_label": format_html(
                '<span class="nowrap">{}</span>', format_date(period.first, _language())
            ),
            "last_label": format_html(
                '<span class="nowrap">{}</span>', format_date(period.last, _language())
            ),
            "rows": [_row(week, current=current) for week in weeks],
            "total": _row(total, current=current),
            "chart": build_chart(weeks),
            "segments": SEGMENTS,
            "previous_url": f"{url}?{period.query(shift=-1)}",
            "next_url": f"{url}?{period.query(shift=1)}",
            "latest_url": f"{url}?{urlencode({'weeks': period.weeks})}",
            "csv_url": f"{reverse('console:statistics_csv', args=[office.code])}?{period.query()}",
        },
    )


@office_view()
def statistics_csv(request: HttpRequest, office: Office) -> HttpResponse:
    # No audit entry: the same aggregated counts as the page, no personal data (R10, R11).
    now = timezone.now()
    today = office_today(office, now=now)
    try:
        period = parse_period(request.GET, today=today)
    except PeriodError as exc:
        default = parse_period({}, today=today)
        return _page(request, office, {"problem": exc.message, "period": default}, status=400)
    weeks = weekly_statistics(office, first_week=period.first, weeks=period.weeks, now=now)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for week in weeks:
        figures = [getattr(week, column) for column in CSV_COLUMNS[1:-1]]
        writer.writerow([week.week_start.isoformat(), *figures, share_decimal(week)])
    # UTF-8 with a BOM, so that Excel in Japan reads it as UTF-8 (as the bookings export).
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    name = f"{office.code}_statistics_{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
