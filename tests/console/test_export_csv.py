"""SPEC §9: the CSV export opens correctly in Excel in Japan and cannot carry formulas."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine

from tests.conftest import jst
from tests.front.helpers import confirmed

URL = "/staff/fukuoka-plaza/export.csv"


@pytest.fixture
def signed_in(client, counsellor):
    with time_machine.travel(jst(2026, 12, 20, 12, 0), tick=False):
        client.force_login(counsellor)
        yield client


def rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = body[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_it_exports_the_bookings_in_the_range_inclusive(signed_in, office_a):
    confirmed(
        office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0), jobseeker_number="40010-12345678"
    )
    confirmed(
        office_a,
        jst(2026, 12, 3, 18, 15),
        now=jst(2026, 11, 30, 10, 0),
        email="b@example.jp",
        phone="080-1111-2222",
    )
    confirmed(
        office_a,
        jst(2026, 12, 8, 17, 15),
        now=jst(2026, 11, 30, 10, 0),
        email="c@example.jp",
        phone="080-3333-4444",
    )
    response = signed_in.get(URL, {"from": "2026-12-01", "to": "2026-12-03"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="fukuoka-plaza_20261201-20261203.csv"' in response["Content-Disposition"]
    header, *data = rows(response)
    assert header[:7] == ["start", "end", "status", "name", "email", "phone", "jobseeker_number"]
    assert [r[0] for r in data] == ["2026-12-01T17:15+09:00", "2026-12-03T18:15+09:00"]
    first = dict(zip(header, data[0], strict=True))
    assert (first["status"], first["name"], first["email"], first["phone"], first["jobseeker_number"]) == (
        "no_show",  # 2026-12-20: long past its start without an attendance mark (R8)
        "山田 太郎",
        "taro@example.jp",
        "090-1234-5678",
        "40010-12345678",
    )


def test_it_neutralises_cells_a_spreadsheet_would_run(signed_in, office_a):
    confirmed(
        office_a,
        jst(2026, 12, 1, 17, 15),
        now=jst(2026, 11, 30, 10, 0),
        name='=HYPERLINK("http://evil.example","x")',
        note="+1+cmd|' /C calc'!A0",
    )
    header, row = rows(signed_in.get(URL, {"from": "2026-12-01", "to": "2026-12-01"}))
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert cells["note"] == "'+1+cmd|' /C calc'!A0"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"from": "2026-12-01"},
        {"from": "2026-12-05", "to": "2026-12-01"},
        {"from": "x", "to": "y"},
        {"from": "2026-01-01", "to": "2027-12-31"},
    ],
)
def test_it_explains_a_bad_range(signed_in, query):
    response = signed_in.get(URL, query)
    assert response.status_code == 400
    assert 'class="alert"' in response.content.decode()
