"""Serve the site and run the background worker side by side (`make run`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the task worker (huey) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=f"127.0.0.1:{settings.PORT}")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="serve only, no background worker")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "madoguchi.wsgi",
            "--bind", options["bind"],
            "--workers", str(options["web_workers"]),
            "--threads", str(options["threads"]),
            "--worker-class", "gthread",
            "--access-logfile", "-",
            "--graceful-timeout", "10",
            "--no-control-socket",  # one fixed path per machine would clash between servers
        ]  # fmt: skip
        # Poll the queue at least every half second: mail leaves within seconds.
        worker = [
            python,
            "manage.py",
            "run_huey",
            "--workers",
            "2",
            "--worker-type",
            "thread",
            "--delay",
            "0.1",
            "--max-delay",
            "0.5",
            "--flush-locks",
        ]
        children = [subprocess.Popen(web, env=os.environ.copy())]
        if not options["no_worker"]:
            children.append(subprocess.Popen(worker, env=os.environ.copy()))
        self.stdout.write(f"madoguchi: serving http://{options['bind']}/ (Ctrl-C stops)")

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT if child.args is worker else signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed:
            raise SystemExit(1)
