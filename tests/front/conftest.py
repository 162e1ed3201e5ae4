from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from tests.conftest import jst

# Tuesday 1 December 2026, 10:00 in Fukuoka: the 17:15 and 18:15 slots are ahead,
# and a hold made now must be confirmed by 11:00 (R5: one hour).
NOW = jst(2026, 12, 1, 10, 0)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stands still at NOW; tests move it with clock.move_to(...)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
