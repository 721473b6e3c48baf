import pytest
from hypothesis import given
from hypothesis import strategies as st

from refiner_web.traits import check_trait, clean_traits

LIMIT = 2147483647


@pytest.mark.parametrize("value", [LIMIT, -LIMIT, 0, 42])
def test_integers_inside_the_range(value):
    assert check_trait("seats", value) == value


@pytest.mark.parametrize("value", [LIMIT + 1, -LIMIT - 1, 2**63, -(2**40)])
def test_integers_outside_the_range(value):
    with pytest.raises(ValueError, match="between -2147483647 and 2147483647"):
        check_trait("seats", value)


@given(st.integers())
def test_integer_range_is_exact(value):
    if -LIMIT <= value <= LIMIT:
        assert check_trait("n", value) == value
    else:
        with pytest.raises(ValueError):
            check_trait("n", value)


def test_quoted_number_stays_a_string():
    assert check_trait("a_number", "42") == "42"


def test_booleans_are_not_integers():
    assert check_trait("paying", True) is True


def test_whole_float_becomes_integer_and_fraction_is_refused():
    assert check_trait("n", 3.0) == 3
    assert type(check_trait("n", 3.0)) is int
    with pytest.raises(ValueError):
        check_trait("n", 3.5)
    with pytest.raises(ValueError):
        check_trait("n", float("nan"))


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300))
def test_string_length_limit(text):
    if len(text) <= 255:
        assert check_trait("note", text) == text
    else:
        with pytest.raises(ValueError, match="255"):
            check_trait("note", text)


def test_dates_only_for_at_keys():
    assert check_trait("signed_up_at", "2020-04-26T17:58:14+02:00") == "2020-04-26T15:58:14Z"
    assert check_trait("signed_up", "2020-04-26T17:58:14+02:00") == "2020-04-26T17:58:14+02:00"
    with pytest.raises(ValueError, match="_at"):
        check_trait("signed_up_at", "soon")
    with pytest.raises(ValueError, match="_at"):
        check_trait("flag_at", True)


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, lambda: 1])
def test_other_types_refused(value):
    with pytest.raises(ValueError, match="string, an integer, a boolean"):
        check_trait("x", value)


def test_clean_traits_drops_only_the_bad_one_with_one_warning_naming_it():
    warnings = []
    kept = clean_traits(
        [("plan", "pro"), ("seats", 2**40), ("upgraded_at", "2021-05-05 17:12")],
        warnings.append,
    )
    assert kept == [("plan", "pro"), ("upgraded_at", "2021-05-05T17:12:00Z")]
    assert len(warnings) == 1 and "seats" in warnings[0] and "2147483647" in warnings[0]
