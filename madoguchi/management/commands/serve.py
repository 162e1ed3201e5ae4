"""Serve the site: gunicorn, and unless `--no-worker`, the task worker beside it.

`make run` uses it with its worker (one machine, embedded default). An app node of a
larger deployment runs `serve --no-worker`, and the workers run `run_worker` apart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from madoguchi.access_log import ACCESS_FORMAT
from madoguchi.production import require_secret_key


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and, unless --no-worker, the task worker, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=f"127.0.0.1:{settings.PORT}")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
        parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
        parser.add_argument(
            "--no-worker", action="store_true", help="serve only; the task worker runs apart (run_worker)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require_secret_key()
        if not settings.DEBUG:
            # Production refuses to start on a deploy error, e.g. no mail relay (SPEC §3):
            # SystemCheckError ends the command with the messages and exit status 1.
            self.check(include_deployment_checks=True, display_num_errors=True)
        if not settings.DEBUG:
            # Hashed static files for WhiteNoise (with DEBUG on it serves them from the apps).
            call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "madoguchi.wsgi",
            "--bind", options["bind"],
            "--workers", str(options["web_workers"]),
            "--threads", str(options["threads"]),
            "--worker-class", "gthread",
            "--logger-class", "madoguchi.access_log.Logger",
            "--access-logfile", "-",
            "--access-logformat", ACCESS_FORMAT,
            "--graceful-timeout", "10",
            "--no-control-socket",  # one fixed path per machine would clash between servers
        ]  # fmt: skip
        self.stdout.write(f"madoguchi: serving http://{options['bind']}/ (Ctrl-C stops)")
        if options["no_worker"]:
            # An app node: become gunicorn, rather than keep a second copy of Django in memory
            # only to wait for it (signals then reach gunicorn itself).
            self.stdout.flush()
            connections.close_all()
            os.execv(python, web)
        # One machine, one worker: it may clear huey locks a killed worker left behind.
        worker = [python, "manage.py", "run_worker", "--flush-locks"]
        children = [
            subprocess.Popen(web, env=os.environ.copy()),
            subprocess.Popen(worker, env=os.environ.copy()),
        ]

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            # SIGTERM is a graceful stop for both: requests and tasks under way finish.
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed:
            raise SystemExit(1)
