from django.apps import AppConfig


class MadoguchiConfig(AppConfig):
    name = "madoguchi"

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from madoguchi.checks import check_mail_relay
        from madoguchi.production import check_secret_key

        # `check --deploy`: production needs the deployment's shared SECRET_KEY.
        register(check_secret_key, Tags.security, deploy=True)
        # ...and a mail relay: without one, mail would be kept on disk (SPEC §3).
        register(check_mail_relay, Tags.security, deploy=True)
