from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        # The tasks need every model loaded, so they are imported here, once; the
        # outbox then wakes the worker through this hook instead of importing it.
        from bookings import outbox, tasks

        outbox.on_mail_queued(tasks.deliver_mail_task)
