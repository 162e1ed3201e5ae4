from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from offices.loader import OfficeFileError, load_office_file


class Command(BaseCommand):
    help = "Create or update offices from a TOML file (SPEC §4). Changes nothing if the file has errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_office_file(options["file"])
        except OfficeFileError as exc:
            raise CommandError(
                "nothing was changed; the file has these problems:\n  " + "\n  ".join(exc.problems)
            ) from exc
        for label, codes in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
