from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refiner_web.dates import (
    civil_from_days,
    days_from_civil,
    iso_from_seconds,
    ms_from_iso,
    parse_date,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))


def iso(moment: datetime) -> str:
    m = moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


@given(st.integers(min_value=-719162, max_value=2932896))
def test_civil_days_round_trip(days):
    year, month, day = civil_from_days(days)
    assert (EPOCH + timedelta(days=days)).date() == datetime(year, month, day).date()
    assert days_from_civil(year, month, day) == days


@given(st.integers(min_value=0, max_value=253402300799))
def test_iso_from_seconds_matches_cpython(seconds):
    assert iso_from_seconds(seconds) == iso(EPOCH + timedelta(seconds=seconds))


@given(moments.map(lambda m: m.replace(microsecond=0)), st.integers(-23 * 60, 23 * 60))
def test_iso_with_offset_normalised_to_utc(moment, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    text = moment.replace(tzinfo=zone).isoformat()
    assert parse_date(text) == iso(moment.replace(tzinfo=zone))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020-04-26T17:58:14+02:00", "2020-04-26T15:58:14Z"),  # the reference's example
        ("2021-05-05 17:12", "2021-05-05T17:12:00Z"),  # the reference's example
        ("2022-01-31", "2022-01-31T00:00:00Z"),  # the reference's example
        ("2020-04-26T17:58:14Z", "2020-04-26T17:58:14Z"),
        ("2020-04-26T17:58:14.123456Z", "2020-04-26T17:58:14Z"),
        ("2020-04-26t17:58:14-0530", "2020-04-26T23:28:14Z"),
        ("2024-02-29", "2024-02-29T00:00:00Z"),
        ("2020-12-31T23:30:00-01:00", "2021-01-01T00:30:00Z"),
        (" 2022-01-31 ", "2022-01-31T00:00:00Z"),
        (1588000000, "2020-04-27T15:06:40Z"),
        ("1588000000", "2020-04-27T15:06:40Z"),
        (1588000000000, "2020-04-27T15:06:40Z"),  # milliseconds, as Date.now() gives
        (1588000000.0, "2020-04-27T15:06:40Z"),
        (0, "1970-01-01T00:00:00Z"),
    ],
)
def test_accepted_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-29",
        "2022-13-01",
        "2022-00-10",
        "2022-1-5",
        "yesterday",
        "",
        "2022-01-31T25:00",
        "2022-01-31T10:60",
        "2022-01-31T10:00:61",
        "2022-01-31X10:00",
        "2022-01-31T10:00+25:00",
        "2022-01-31T10:00 UTC",
        "2022-01-31T10:00:00.",
        "-5",
        -5,
        1.5,
        float("nan"),
        True,
        None,
        [],
        {},
        "20220131",
    ],
)
def test_rejected_forms(value):
    with pytest.raises(ValueError):
        parse_date(value)


@given(st.text(max_size=40))
def test_parse_date_raises_only_value_error(text):
    try:
        result = parse_date(text)
    except ValueError:
        return
    assert len(result) == 20 and result.endswith("Z")


@given(st.integers(min_value=0, max_value=253402300799999))
def test_ms_from_iso_reads_javascript_iso_text(ms):
    moment = EPOCH + timedelta(milliseconds=ms)
    text = iso(moment)[:-1] + ".%03dZ" % (moment.microsecond // 1000)
    assert ms_from_iso(text) == ms
