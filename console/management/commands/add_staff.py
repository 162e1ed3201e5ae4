from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from console.models import Role, StaffMembership
from offices.models import Office

# What an office administrator may configure in the admin, within their offices.
ADMIN_PERMISSIONS = [
    ("offices", "view_office"),
    ("offices", "change_office"),
    ("offices", "view_slotrulerow"),
    ("offices", "add_slotrulerow"),
    ("offices", "change_slotrulerow"),
    ("offices", "delete_slotrulerow"),
    ("offices", "view_closure"),
    ("offices", "add_closure"),
    ("offices", "change_closure"),
    ("offices", "delete_closure"),
    ("offices", "view_termsversion"),
    ("offices", "add_termsversion"),
    ("console", "view_staffmembership"),
    ("console", "view_auditentry"),
]
OFFICE_ADMINS = "office administrators"


def office_admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=OFFICE_ADMINS)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=code) for app, code in ADMIN_PERMISSIONS
    ]
    group.permissions.set(wanted)
    return group


class Command(BaseCommand):
    help = (
        "Create or update a staff account (SPEC §9). The account works at exactly the offices given. "
        "With --noinput the password comes from MADOGUCHI_STAFF_PASSWORD."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--office", action="append", required=True, metavar="CODE", help="repeat for each office"
        )
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        if not username:
            raise CommandError("the username must not be empty")
        codes: list[str] = options["office"]
        offices = list(Office.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {o.code for o in offices})
        if missing:
            raise CommandError(f"no such office: {', '.join(missing)}")
        user = User.objects.filter(username=username).first()
        password = self._password(user or User(username=username, email=options["email"]), options)
        if user is None and password is None:
            raise CommandError("a new account needs a password: set MADOGUCHI_STAFF_PASSWORD with --noinput")
        role: str = options["role"]
        with transaction.atomic():
            created = user is None
            if user is None:
                user = User(username=username)
            if options["email"]:
                user.email = options["email"]
            # Office administrators configure their offices in the admin; counsellors never need it.
            user.is_staff = role == Role.OFFICE_ADMIN or user.is_superuser
            user.is_active = True
            if password is not None:
                user.set_password(password)
            user.save()
            user.memberships.exclude(office__in=offices).delete()
            for office in offices:
                StaffMembership.objects.update_or_create(user=user, office=office, defaults={"role": role})
            group = office_admin_group()
            if user.memberships.filter(role=Role.OFFICE_ADMIN).exists():
                user.groups.add(group)
            else:
                user.groups.remove(group)
        verb = "created" if created else "updated"
        self.stdout.write(f"{verb} {username}: {role} at {', '.join(sorted(codes))}")

    def _password(self, user: User, options: dict[str, Any]) -> str | None:
        if not options["interactive"]:
            password = os.environ.get("MADOGUCHI_STAFF_PASSWORD")
            if password is None:
                return None
            self._validate(password, user)
            return password
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords do not match.")
                continue
            try:
                self._validate(password, user)
            except CommandError as exc:
                self.stderr.write(str(exc))
                continue
            return password

    def _validate(self, password: str, user: User) -> None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("the password was refused: " + " ".join(exc.messages)) from exc
