"""refiner_web.scales: what a scale question offers and says, and where its keys move."""

import pytest

from refiner_web import scales
from refiner_web.survey import SurveyRun


def question(kind, locale=None, **extra):
    """The question as the widget gets it (cleaned and localised), and the run's words."""
    run = SurveyRun({"id": "f", "questions": [{"id": "s", "type": kind, **extra}]}, locale)
    return run.question(), run.text


@pytest.mark.parametrize(
    ("kind", "extra", "offered"),
    [
        ("nps", {}, list(range(11))),
        ("rating", {}, [1, 2, 3, 4, 5]),
        ("rating", {"scale": 10}, list(range(1, 11))),
        ("rating", {"scale": 3}, [1, 2, 3]),
        ("csat", {}, [1, 2, 3, 4, 5]),
        ("emoji", {}, [1, 2, 3, 4, 5]),
    ],
)
def test_values(kind, extra, offered):
    assert scales.values(question(kind, **extra)[0]) == offered


def test_nps_items_are_numbers_named_out_of_ten():
    items = scales.items(*question("nps"))
    assert items[0] == (0, None, "0", "0 of 10")
    assert items[7] == (7, None, "7", "7 of 10")


def test_star_items_are_icons_named_in_stars():
    items = scales.items(*question("rating", scale=4))
    assert items == [(n, "star", None, "%d of 4 stars" % n) for n in (1, 2, 3, 4)]


def test_numbered_rating_items_show_their_number():
    items = scales.items(*question("rating", style="numbers", scale=3))
    assert items[2] == (3, None, "3", "3 of 3")


def test_emoji_and_face_items_are_named_by_their_words():
    emoji = scales.items(*question("emoji"))
    assert [item[:2] for item in emoji] == [(n, "emoji") for n in range(1, 6)]
    assert emoji[0][3] == "Terrible" and emoji[0][2] is None
    faces = scales.items(*question("csat", "de"))
    assert faces[4] == (5, "face", None, "Sehr zufrieden")


def test_csat_labels_show_their_words_as_their_name():
    items = scales.items(*question("csat", style="labels"))
    assert items[0] == (1, None, "Very unsatisfied", None)


def test_ends_fall_back_to_the_language_words():
    assert scales.ends(*question("nps")) == ("Not likely", question("nps")[1]("nps_high"))
    assert scales.ends(*question("emoji", "de")) == ("Schrecklich", "Großartig")
    assert scales.ends(*question("csat")) == ("Very unsatisfied", "Very satisfied")


def test_ends_of_the_survey_come_first_and_one_may_be_missing():
    low_only = question("nps", labels={"low": "Nope"})
    assert scales.ends(*low_only) == ("Nope", low_only[1]("nps_high"))
    assert scales.ends(*question("rating", labels={"high": "Top"})) == ("", "Top")
    assert scales.ends(*question("csat", style="labels", labels={"low": "Meh"})) == ("Meh", "")


def test_no_ends_without_words():
    assert scales.ends(*question("rating")) is None
    assert scales.ends(*question("csat", style="labels")) is None


def test_marks_without_a_value_make_the_first_the_tab_stop():
    assert scales.marks([1, 2, 3], None, True) == [
        (False, True, False),
        (False, False, False),
        (False, False, False),
    ]


def test_marks_check_the_value_and_light_stars_up_to_it():
    assert scales.marks([1, 2, 3, 4], 3, True) == [
        (False, False, True),
        (False, False, True),
        (True, True, True),
        (False, False, False),
    ]
    assert scales.marks([0, 1, 2], 0, False) == [
        (True, True, False),
        (False, False, False),
        (False, False, False),
    ]


@pytest.mark.parametrize(
    ("key", "index", "rtl", "to"),
    [
        ("ArrowRight", 0, False, 1),
        ("ArrowDown", 0, False, 1),
        ("ArrowLeft", 2, False, 1),
        ("ArrowUp", 2, False, 1),
        ("ArrowRight", 4, False, 0),  # wraps around
        ("ArrowLeft", 0, False, 4),
        ("ArrowRight", 2, True, 1),  # right to left: right goes back
        ("ArrowLeft", 2, True, 3),
        ("ArrowLeft", 4, True, 0),
        ("ArrowDown", 2, True, 3),  # up and down keep their way
        ("ArrowUp", 2, True, 1),
        ("Home", 3, False, 0),
        ("End", 1, True, 4),
        ("a", 1, False, None),
        ("Enter", 1, False, None),
        ("Tab", 1, False, None),
    ],
)
def test_moved_to(key, index, rtl, to):
    assert scales.moved_to(key, index, 5, rtl) == to
