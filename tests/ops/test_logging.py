"""Logs: one line per request, every line in UTC (ISO 8601), no second line for a 4xx, an idle worker quiet."""

from __future__ import annotations

import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from huey import MemoryHuey, crontab

from madoguchi.logging import UTCFormatter
from madoguchi.worker import QuietPeriodic
from tests.live_server import LiveServer, make_live_server

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
OFFICES = Path(__file__).resolve().parent.parent / "live" / "capacity-two.toml"
TOKEN = "A" * 43


def test_it_writes_times_in_utc_iso_8601() -> None:
    record = logging.LogRecord("madoguchi", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.created = 1764576900.25  # 2025-12-01T08:15:00.250Z, whatever the host's zone
    record.msecs = 250.0
    assert UTCFormatter().format(record) == "2025-12-01T08:15:00.250Z INFO madoguchi hello world"


def test_it_keeps_periodic_chatter_out_and_everything_else_in() -> None:
    huey = MemoryHuey("quiet")

    @huey.periodic_task(crontab(minute="*"))
    def tick() -> None: ...

    @huey.task()
    def mail() -> None: ...

    quiet = QuietPeriodic()

    def kept(level: int, message: str, *args: object) -> bool:
        return quiet.filter(logging.LogRecord("huey", level, __file__, 1, message, args, None))

    periodic = tick.s()
    assert not kept(logging.INFO, "Executing %s", periodic)
    assert not kept(logging.INFO, "%s executed in %0.3fs", periodic, 0.01)
    assert not kept(logging.DEBUG, "Checking periodic tasks")
    assert kept(logging.INFO, "Executing %s", mail.s())
    assert kept(logging.ERROR, "Unhandled exception in task %s.", periodic)


def test_it_leaves_the_4xx_line_to_the_access_log(db, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert Client().get("/no-such-page/").status_code == 404
        assert Client().get("/", HTTP_HOST="not-ours.example").status_code == 400
    assert [r for r in caplog.records if r.name.startswith("django.")] == []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = make_live_server(tmp_path_factory.mktemp("logs"), offices_toml=OFFICES)
    try:
        live.start(worker=False)
        yield live
    finally:
        live.close()


def status_of(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_it_logs_each_request_once_in_utc_without_probes_or_tokens(server: LiveServer) -> None:
    asked = {
        "/api/v1/offices": 200,
        "/no-such-page/": 404,
        f"/b/confirm/{TOKEN}": 404,
    }
    time.sleep(0.5)  # gunicorn writes a line after it answers: let the start-up requests' lines land
    before = len(server.log_path.read_text(errors="replace").splitlines())
    for _ in range(3):
        assert status_of(server.url + "/healthz") == 200
        assert status_of(server.url + "/readyz") == 200
    for path, status in asked.items():
        assert status_of(server.url + path) == status, path
    assert status_of(server.url + "/", Host="not-ours.example") == 400
    time.sleep(0.5)
    lines = server.log_path.read_text(errors="replace").splitlines()[before:]
    access = [line for line in lines if " gunicorn.access " in line]
    assert len(access) == len(asked) + 1, "\n".join(lines)
    assert all(ISO_UTC.match(line) for line in lines), lines
    assert not any("/healthz" in line or "/readyz" in line for line in lines)
    assert not any(
        "Not Found" in line or "Invalid HTTP_HOST" in line or "Traceback" in line for line in lines
    )
    assert TOKEN not in "\n".join(lines)
    assert any("/b/confirm/[redacted]" in line and '" 404 ' in line for line in access)


def test_it_serves_static_files_under_hashed_names_cached_for_good(server: LiveServer) -> None:
    manifest = (server.var_dir / "static" / "staticfiles.json").read_text()
    hashed = re.search(r'"(front/site\.[0-9a-f]{12}\.css)"', manifest)
    assert hashed, manifest[:500]
    with urllib.request.urlopen(f"{server.url}/static/{hashed.group(1)}", timeout=10) as response:
        assert response.status == 200
        assert "immutable" in response.headers["Cache-Control"]
    with urllib.request.urlopen(f"{server.url}/api/v1/offices", timeout=10):
        pass
    with urllib.request.urlopen(f"{server.url}/o/race-two/", timeout=10) as response:
        assert f"/static/{hashed.group(1)}" in response.read().decode()
