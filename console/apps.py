from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Staff console"


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin behind the staff login, with office scoping (SPEC §9)."""

    default = False
    default_site = "console.admin_site.StaffAdminSite"
