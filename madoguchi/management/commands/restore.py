"""Restore a backup made by `backup` into the configured database (docs/operations.md).

Run it with the site and the worker stopped. It refuses a database that holds data
unless told `--replace`; after restoring it runs `migrate`, so a backup from an
older release comes up in this release's schema, and prints what it restored.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from bookings.models import Booking, OutgoingMail
from madoguchi.management.commands.backup import check_pg_tool, pg_target, pg_tool


class Command(BaseCommand):
    help = "Restore a backup made by `backup` (site and worker stopped), then migrate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="a .sqlite3 or .dump file written by `backup`")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a database that already holds data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["backup"]).resolve()
        if not source.is_file():
            raise CommandError(f"no backup at {source}")
        if connection.introspection.table_names() and not options["replace"]:
            raise CommandError("the database already holds data; give --replace to overwrite it")
        if connection.vendor == "sqlite":
            self.restore_sqlite(source)
        elif connection.vendor == "postgresql":
            self.restore_postgres(source, replace=options["replace"])
        else:
            raise CommandError(f"no restore for a {connection.vendor} database")
        call_command("migrate", interactive=False, verbosity=0)
        bookings = Booking.objects.count()
        mails = OutgoingMail.objects.count()
        self.stdout.write(f"restored {source.name}: {bookings} bookings, {mails} mails; schema migrated")

    def restore_sqlite(self, source: Path) -> None:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
            if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CommandError(f"{source} fails its integrity check")
        connection.close()
        target = Path(str(connection.settings_dict["NAME"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(target)
        try:
            # The same online backup API, the other way round: page by page into the target,
            # which afterwards holds exactly the backup (its own WAL included).
            backup.backup(live, pages=-1)
            live.execute("PRAGMA journal_mode=WAL")
        finally:
            live.close()
            backup.close()

    def restore_postgres(self, source: Path, *, replace: bool) -> None:
        pg_restore = pg_tool("pg_restore")
        check_pg_tool(pg_restore)
        conn_args, env = pg_target(connection.settings_dict)
        command = [pg_restore, *conn_args, "--no-owner", "--exit-on-error", "--single-transaction"]
        if replace:
            command += ["--clean", "--if-exists"]
        command += ["--dbname", str(connection.settings_dict["NAME"]), str(source)]
        connection.close()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandError(f"pg_restore failed: {done.stderr.strip()}")
