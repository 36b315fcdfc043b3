"""What the pages build once for many rows writes what the per-row filters and url_for do."""

from datetime import UTC, datetime

import pytest
from flask import url_for
from flask_babel import force_locale, format_date, format_time

from stockapp.web.templating import LocalClock, UrlPattern

MOMENTS = [
    datetime(2026, 1, 1, 15, 59, 59, tzinfo=UTC),  # 23:59:59 in Shanghai
    datetime(2026, 1, 1, 16, 0, 0, tzinfo=UTC),  # the next day there
    datetime(2026, 6, 30, 4, 5, 6, 789, tzinfo=UTC),
    datetime(2026, 6, 30, 4, 5, 6),  # naive: read as UTC, as the filters do
]


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_page_clock_writes_dates_and_times_as_the_babel_filters(app, locale):
    with app.test_request_context(), force_locale(locale):
        clock = LocalClock()
        for moment in MOMENTS * 2:  # the second time from its cache of days
            assert clock.date(moment) == format_date(moment, "short")
            assert clock.time(moment) == format_time(moment, "medium")
        assert clock.date(MOMENTS[0]) != clock.date(MOMENTS[1])


def test_a_url_pattern_makes_the_urls_url_for_makes(app):
    with app.test_request_context():
        for endpoint, name, value in [
            ("movements.index", "document", "RC0000042"),
            ("orders.show", "order_id", 7),
            ("movements.reverse", "document_id", 1234567),
            ("catalogue.product", "code", "A-1024_x.1"),
            ("catalogue.product", "code", "T恤 50% off+/?&#"),  # quoted: left to url_for
            ("movements.index", "document", "a b&c=d"),
        ]:
            assert UrlPattern(endpoint, name)(value) == url_for(endpoint, **{name: value})
