from tests.console.conftest import counsellor, office_a, staff_env  # noqa: F401
from tests.front.conftest import clock  # noqa: F401  (the clock stands at 2026-12-01 10:00 JST)
