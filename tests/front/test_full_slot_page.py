from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import hold, page

START = jst(2026, 12, 1, 17, 15)


def test_it_says_a_full_slot_is_full_before_the_form_is_filled_in(client, fukuoka, clock):
    hold(fukuoka, START, now=NOW)
    response = client.get("/o/fukuoka-plaza/book/20261201T1715/")
    assert response.status_code == 409
    html = page(response)
    assert "この枠は満席です" in html
    assert "2026年12月1日（火）17:15" in html
    assert "<form" not in html.split("<main", 1)[1]


def test_it_shows_the_form_while_a_seat_is_free(client, fukuoka, clock):
    response = client.get("/o/fukuoka-plaza/book/20261201T1715/")
    assert response.status_code == 200
    assert 'name="agree_terms"' in page(response)
