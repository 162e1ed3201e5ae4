import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
application = get_wsgi_application()

# A plain gunicorn too refuses to boot without the deployment's shared key.
from madoguchi.production import require_secret_key  # noqa: E402

require_secret_key()
