from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from offices.models import Office


class Command(BaseCommand):
    help = "Load the demo offices on first start (does nothing once any office exists)."

    def handle(self, *args: Any, **options: Any) -> None:
        if Office.objects.exists():
            return
        call_command("load_offices", str(settings.BASE_DIR / "demo" / "offices.toml"))
