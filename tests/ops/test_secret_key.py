"""SECRET_KEY in production: required, the same on every node, rotated through fallbacks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ops.procs import manage, production_env, python

PRINT_KEYS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps([settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS]))"
)


def keys(env: dict[str, str]) -> list:
    done = python(env, PRINT_KEYS)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_refuses_to_serve_without_a_secret_key_in_production(tmp_path: Path) -> None:
    env = production_env(tmp_path, ALLOWED_HOSTS="127.0.0.1")
    for command in (["serve", "--no-worker", "--bind", "127.0.0.1:1"], ["run_worker"]):
        done = manage(env, *command)
        assert done.returncode != 0, done
        assert "SECRET_KEY is not set" in done.stderr, done.stderr
        assert "SECRET_KEY_FALLBACKS" in done.stderr
    # A plain gunicorn loads madoguchi.wsgi: that refuses too.
    done = python(env, "import madoguchi.wsgi")
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr
    # No key was made up on the side.
    assert not (tmp_path / "secret_key").exists()


def test_it_reports_the_missing_key_in_the_deploy_check(tmp_path: Path) -> None:
    done = manage(production_env(tmp_path), "check", "--deploy")
    assert done.returncode != 0
    assert "madoguchi.E101" in done.stderr, done.stderr


def test_it_leaves_other_commands_usable_without_the_key(tmp_path: Path) -> None:
    # Migrations and office files need no key: an operator runs them before the nodes start.
    done = manage(production_env(tmp_path), "migrate", "--noinput", "-v0")
    assert done.returncode == 0, done.stderr


def test_it_refuses_every_use_of_an_empty_key(tmp_path: Path) -> None:
    done = python(production_env(tmp_path), PRINT_KEYS)
    assert done.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in done.stderr


def test_it_takes_the_key_and_its_fallbacks_from_the_environment(tmp_path: Path) -> None:
    env = production_env(tmp_path, SECRET_KEY="new-key", SECRET_KEY_FALLBACKS="older-key, oldest-key,")
    assert keys(env) == ["new-key", ["older-key", "oldest-key"]]
    assert not (tmp_path / "secret_key").exists()


def test_it_keeps_a_generated_key_under_the_var_dir_with_debug(tmp_path: Path) -> None:
    env = production_env(tmp_path, DEBUG="1")
    first, fallbacks = keys(env)
    assert len(first) >= 50 and fallbacks == []
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert keys(env)[0] == first  # the same key on the next start
