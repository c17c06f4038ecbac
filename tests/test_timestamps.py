"""Timestamps written with four-digit years and read without overflow (issue 11, "Dates")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mockserver.timestamps import iso, parse_timestamp, shifted

EARLY = datetime(631, 3, 4, 5, 6, 7, 8000, tzinfo=timezone.utc)


def test_years_before_1000_keep_four_digits_and_read_back():
    assert iso(EARLY) == "0631-03-04T05:06:07.008000Z"
    assert iso(EARLY, millis=True) == "0631-03-04T05:06:07.008Z"
    assert parse_timestamp(iso(EARLY)) == EARLY
    assert iso(datetime(1, 1, 1)) == "0001-01-01T00:00:00.000000Z"  # naive: taken as UTC


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01",
                                  "2026-13-01T00:00:00Z", "yesterday", "2026-01-01T00:00:00"])
def test_a_timestamp_out_of_range_in_utc_or_malformed_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_extreme_offsets_inside_the_range_convert():
    assert parse_timestamp("0001-01-01T23:59:00+23:59") == datetime(1, 1, 1, 0, 0, tzinfo=timezone.utc)
    assert parse_timestamp("2026-01-01t00:00:00z") == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_timestamp("2026-01-01T00:00:00", naive_is_utc=True).tzinfo is not None


def test_shifting_past_the_last_instant_holds_at_it():
    last = datetime.max.replace(tzinfo=timezone.utc)
    assert shifted(last, timedelta(microseconds=1)) == last
    assert shifted(datetime.min.replace(tzinfo=timezone.utc), -timedelta(days=1)).year == 1


@pytest.mark.parametrize("seed", range(5))
def test_generated_dates_are_rfc_3339_with_four_digit_years(seed):
    from mockserver.fake import Fake

    fake = Fake(seed)
    for _ in range(50):
        text = fake.from_schema({"type": "string", "format": "date-time"})
        assert len(text.split("-")[0]) == 4 and parse_timestamp(text)
