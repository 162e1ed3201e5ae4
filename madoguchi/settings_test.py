"""Fast, isolated settings for the test suite."""

import os
import tempfile

# A var/ of its own per test process, so tests never touch a developer's data.
os.environ.setdefault("MADOGUCHI_VAR_DIR", tempfile.mkdtemp(prefix="madoguchi-test-"))

from madoguchi.settings import *  # noqa: F403
from madoguchi.settings import HUEY

# DEBUG is off in tests, where settings.py would leave the key empty (production needs one).
SECRET_KEY = os.environ.get("SECRET_KEY") or "madoguchi-tests-only-" + "k" * 40
# No collectstatic before tests: the files are served from the apps under their own names.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
# The test client speaks plain http: no redirect to https (tests/security checks production's).
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}
# Public rate limits are off in tests; the tests of the limits turn them on.
MADOGUCHI_RATE_LIMITS = False
