"""madoguchi's settings plus the bench floor's URLs: only `make bench` starts a server with these."""

from madoguchi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
