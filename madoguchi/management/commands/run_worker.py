"""The task worker: sends mail and runs the periodic jobs (`make worker`).

Run one or more per deployment, on any machines that reach the database and the queue.
Each runs a scheduler, and the periodic jobs of each minute still run once: the
scheduler that claims the minute in the queue enqueues them (madoguchi/worker.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules

from madoguchi.production import require_secret_key
from madoguchi.worker import WorkerConsumer

log = logging.getLogger("madoguchi.worker")


class Command(BaseCommand):
    help = "Run the task worker (mail and periodic jobs) until stopped; SIGTERM stops it gracefully."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=2, help="tasks run at the same time")
        parser.add_argument(
            "--no-periodic", action="store_true", help="only run tasks; leave the periodic jobs to others"
        )
        parser.add_argument(
            "--flush-locks",
            action="store_true",
            help="clear huey task locks at start (only when this is the deployment's one worker)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require_secret_key()
        if not settings.DEBUG:
            # The worker is what sends mail: like `serve`, refuse a deployment error (no relay).
            self.check(include_deployment_checks=True, display_num_errors=True)
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")
        consumer = WorkerConsumer(
            HUEY,
            workers=options["threads"],
            worker_type="thread",
            periodic=not options["no_periodic"],
            # Poll the queue at least every half second: mail leaves within seconds.
            initial_delay=0.1,
            max_delay=0.5,
            backoff=1.15,
            scheduler_interval=1,
            flush_locks=options["flush_locks"],
            # SIGTERM (systemd, `serve`) lets running tasks finish; SIGINT interrupts them.
            graceful_signal="TERM",
        )
        log.info(
            "worker started: %s threads, periodic jobs %s",
            options["threads"],
            "off" if options["no_periodic"] else "on (once per minute across workers)",
        )
        consumer.run()
