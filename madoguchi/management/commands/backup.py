"""Take an online backup of the database while the site keeps serving (docs/operations.md).

SQLite: the sqlite3 online backup API copies the pages in one read transaction, so
the copy is the database as it stood at one instant, writers or not. PostgreSQL:
`pg_dump --format=custom`, which reads everything in one snapshot.

The backup holds the database only: SECRET_KEY (which the links in mail depend on)
is configuration, kept apart; the task queue and the cache are rebuilt by the worker.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


def pg_tool(name: str) -> str:
    """The pg_dump / pg_restore to use: MADOGUCHI_PG_BIN/<name>, else /usr/bin/<name>."""
    folder = os.environ.get("MADOGUCHI_PG_BIN", "/usr/bin")
    return str(Path(folder) / name)


def pg_target(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore (no password on the command line)."""
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS", {})
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return args, env


def tool_major(path: str) -> int:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CommandError(f"{path} cannot be run: {exc}") from exc
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if not found:
        raise CommandError(f"cannot read the version of {path}: {out!r}")
    return int(found.group(1))


def check_pg_tool(path: str) -> None:
    """pg_dump cannot dump a newer server, and its archive suits a pg_restore of its major or newer."""
    server = connection.pg_version // 10000  # type: ignore[attr-defined]
    tool = tool_major(path)
    if tool < server:
        raise CommandError(
            f"{path} is version {tool} but the server is {server}: install the client of the server's "
            f"version or newer (MADOGUCHI_PG_BIN points at its folder)"
        )


def row_counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in ("bookings_booking", "bookings_outgoingmail")
        }


class Command(BaseCommand):
    help = "Take a consistent backup of the database while the site runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            help="file to write (default: MADOGUCHI_VAR_DIR/backups/madoguchi-<UTC time>.sqlite3 or .dump)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = connection.vendor
        suffix = {"sqlite": "sqlite3", "postgresql": "dump"}.get(vendor)
        if suffix is None:
            raise CommandError(f"no backup for a {vendor} database")
        if options["output"]:
            target = Path(options["output"]).resolve()
        else:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = Path(settings.VAR_DIR) / "backups" / f"madoguchi-{stamp}.{suffix}"
        if target.exists():
            raise CommandError(f"{target} exists already; a backup never overwrites one")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, renamed when whole and checked: a file under the final name is a good backup.
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            if vendor == "sqlite":
                detail = self.backup_sqlite(partial)
            else:
                detail = self.backup_postgres(partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"backup written to {target} ({target.stat().st_size} bytes; {detail})")

    def backup_sqlite(self, partial: Path) -> str:
        source_path = Path(str(connection.settings_dict["NAME"]))
        source = sqlite3.connect(source_path, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            # pages=-1: every page in one step, inside one read transaction (WAL lets writers go on).
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
            source.close()
        if result != "ok":
            raise CommandError(f"the copy failed its integrity check: {result}")
        counts = row_counts(partial)
        return f"integrity ok; {counts['bookings_booking']} bookings, {counts['bookings_outgoingmail']} mails"

    def backup_postgres(self, partial: Path) -> str:
        pg_dump = pg_tool("pg_dump")
        check_pg_tool(pg_dump)
        conn_args, env = pg_target(connection.settings_dict)
        name = str(connection.settings_dict["NAME"])
        done = subprocess.run(
            [pg_dump, *conn_args, "--format=custom", "--no-owner", "--file", str(partial), name],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise CommandError(f"pg_dump failed: {done.stderr.strip()}")
        # Read the archive's table of contents back: a truncated file fails here.
        listed = subprocess.run(
            [pg_tool("pg_restore"), "--list", str(partial)], capture_output=True, text=True, env=env
        )
        if listed.returncode != 0 or "TABLE DATA public bookings_booking" not in listed.stdout:
            raise CommandError(f"the archive cannot be read back: {listed.stderr.strip()}")
        return f"pg_dump {tool_major(pg_dump)}, archive readable"
