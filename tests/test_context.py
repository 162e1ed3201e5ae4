from django.utils import translation

from madoguchi.context_processors import duration_text


def test_it_states_the_confirmation_window_in_words():
    with translation.override("ja"):
        assert duration_text(3600) == "1時間"
        assert duration_text(5400) == "90分"
    with translation.override("en"):
        assert duration_text(3600) == "1 hour"
        assert duration_text(7200) == "2 hours"
        assert duration_text(60) == "1 minute"
