"""Data for `make bench`, written straight into the bench server's database.

Run with the server's environment: `python -m bench.seed offices|past|future|check …`.
Rows go in by bulk insert, not through the services: only their shape matters here.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import uuid
from datetime import timedelta
from typing import Any

import django


def _booking(office_id: int, terms_id: int, start: Any, number: int, status: str, now: Any) -> Any:
    from bookings.models import Booking

    return Booking(
        id=uuid.uuid4(),
        office_id=office_id,
        start=start,
        end=start + timedelta(minutes=30),
        seat=1,
        status=status,
        name=f"過去 太郎{number}",
        email=f"past{number}@example.jp",
        email_key=f"past{number}@example.jp",
        phone=f"090-9{number // 10000:03d}-{number % 10000:04d}",
        phone_key=f"+81909{number:07d}",
        language="ja",
        terms_id=terms_id,
        created_at=start - timedelta(days=3),
        expires_at=start - timedelta(days=3) + timedelta(hours=1),
        token_salt=secrets.token_hex(16),
        confirm_token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        cancel_token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
    )


def add_offices(count: int, like: str, prefix: str, capacity: int | None) -> None:
    """`count` offices with the timetable of office `like`, named prefix-1, prefix-2, …"""
    from offices.models import Office, SlotRuleRow

    model = Office.objects.get(code=like)
    rules = list(model.rules.all())
    first = Office.objects.filter(code__startswith=f"{prefix}-").count() + 1
    created = Office.objects.bulk_create(
        Office(
            code=f"{prefix}-{n}",
            name=f"ハローワーク負荷試験{n}",
            phone=model.phone,
            timezone=model.timezone,
            capacity=capacity or model.capacity,
            horizon_days=model.horizon_days,
            meeting_url=model.meeting_url,
        )
        for n in range(first, first + count)
    )
    if not all(o.pk for o in created):  # SQLite before 3.35 does not return ids
        created = list(Office.objects.filter(code__startswith=f"{prefix}-").order_by("pk"))[-count:]
    SlotRuleRow.objects.bulk_create(
        SlotRuleRow(
            office=office,
            position=r.position,
            weekdays=r.weekdays,
            nth=r.nth,
            times=r.times,
            minutes=r.minutes,
            capacity=r.capacity,
        )
        for office in created
        for r in rules
    )


def add_past(count: int, office: str) -> None:
    """`count` bookings whose slots lie in the past year: a quarter at `office`, the rest spread.

    Written in bulk below the ORM (COPY on PostgreSQL, executemany on SQLite): 200,000 model
    instances would take minutes on a busy machine.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from bookings.models import Booking, Status
    from offices.models import Office, TermsVersion

    now = timezone.now().replace(second=0, microsecond=0)
    target = Office.objects.get(code=office).pk
    others = list(Office.objects.exclude(pk=target).values_list("pk", flat=True)) or [target]
    terms_id = TermsVersion.objects.values_list("pk", flat=True).order_by("pk")[0]
    statuses = [Status.ATTENDED, Status.NO_SHOW, Status.CANCELLED, Status.EXPIRED, Status.ATTENDED]
    fields = Booking._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    postgres = connection.vendor == "postgresql"

    def rows() -> Any:
        for n in range(count):
            start = now - timedelta(days=1 + n % 365, minutes=30 * (n % 40))
            values = {
                **defaults,
                "id": uuid.UUID(int=(1 << 100) + n),
                "office_id": target if n % 4 == 0 else others[n % len(others)],
                "start": start,
                "end": start + timedelta(minutes=30),
                # The start repeats every 2,920 numbers (365 days × 40 half hours): a seat a round.
                "seat": 1 + n // 2920,
                "status": statuses[n % len(statuses)],
                "name": f"過去 太郎{n}",
                "email": f"past{n}@example.jp",
                "email_key": f"past{n}@example.jp",
                "phone": f"090-9{n // 10000:03d}-{n % 10000:04d}",
                "phone_key": f"+81909{n:07d}",
                "language": "ja",
                "terms_id": terms_id,
                "created_at": start - timedelta(days=3),
                "expires_at": start - timedelta(days=3) + timedelta(hours=1),
                "token_salt": f"{n:032x}",
                "confirm_token_hash": f"c{n:063x}",
                "cancel_token_hash": f"x{n:063x}",
            }
            if postgres:
                yield [values[f.attname] for f in fields]
            else:
                yield [f.get_db_prep_save(values[f.attname], connection) for f in fields]

    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {Booking._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {Booking._meta.db_table} ({columns}) VALUES ({marks})", rows())
    if not postgres:
        # Years of bookings would have reached the database file long ago, not sit in the WAL.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def add_future(per_slot: int, office: str) -> None:
    """`per_slot` confirmed bookings in each of the office's coming slots."""
    from django.utils import timezone

    from bookings.models import Booking, Status
    from offices.models import Office, TermsVersion
    from offices.services import bookable_slots

    now = timezone.now()
    row = Office.objects.get(code=office)
    terms_id = TermsVersion.objects.values_list("pk", flat=True).order_by("pk")[0]
    batch = []
    number = 10_000_000
    for slot in bookable_slots(row, now=now):
        for seat in range(1, min(per_slot, slot.capacity) + 1):
            number += 1
            booking = _booking(row.pk, terms_id, slot.start, number, Status.CONFIRMED, now)
            booking.seat = seat
            batch.append(booking)
    Booking.objects.bulk_create(batch, batch_size=2000)


def check() -> dict[str, Any]:
    """Per office: bookings holding a seat, and slots holding more than their capacity."""
    from django.db.models import Count
    from django.utils import timezone

    from bookings.models import Booking, holds_seat
    from offices.models import Office
    from offices.services import scheduled_slots

    now = timezone.now()
    found: dict[str, Any] = {}
    for office in Office.objects.filter(code__startswith="rush-"):
        counts = (
            Booking.objects.filter(holds_seat(now), office=office)
            .values("start")
            .annotate(n=Count("pk"))
            .values_list("start", "n")
        )
        capacity = {}
        if counts:
            days = [start.astimezone(office.tz).date() for start, _ in counts]
            capacity = {s.start: s.capacity for s in scheduled_slots(office, first=min(days), last=max(days))}
        found[office.code] = {
            "holding": sum(n for _, n in counts),
            "overbooked": sum(1 for start, n in counts if n > capacity.get(start, 0)),
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    sub = parser.add_subparsers(dest="command", required=True)
    offices = sub.add_parser("offices")
    offices.add_argument("count", type=int)
    offices.add_argument("--like", required=True)
    offices.add_argument("--prefix", required=True)
    offices.add_argument("--capacity", type=int)
    past = sub.add_parser("past")
    past.add_argument("count", type=int)
    past.add_argument("--office", required=True)
    future = sub.add_parser("future")
    future.add_argument("per_slot", type=int)
    future.add_argument("--office", required=True)
    sub.add_parser("check")
    args = parser.parse_args()
    django.setup()
    if args.command == "offices":
        add_offices(args.count, args.like, args.prefix, args.capacity)
    elif args.command == "past":
        add_past(args.count, args.office)
    elif args.command == "future":
        add_future(args.per_slot, args.office)
    else:
        json.dump(check(), sys.stdout)


if __name__ == "__main__":
    main()
