"""The survey definition as data (docs/surveys.md): one table of fields per object, each
field with its kind, default, bounds, allowed values, description, whether it is required
and when it applies. The validator (`survey_checks`) walks these tables and the JSON Schema
(`survey_schema`) is generated from them, so the two cannot drift. What a table cannot say
(unique ids, references between questions, the order of dates, bounds that count options)
stays code in `survey_checks`.

Bounds are the `low=`/`high=` of a field in `SHAPES` (for example `max_length`'s 1-100000,
`scale`'s 3-10, `choices`' at least 1); what a field, a condition and a kind are is
`survey_kinds`. The tables stay together in this one module: they are one table.

The vocabulary is the client's own (`refiner_web.definition`, `refiner_web.appearance`,
`refiner_web.triggers`) and the audience's (`audience`), so a new word in any of them
reaches both by itself.
"""

from __future__ import annotations

from typing import Any

from refiner_server.client.audience import (
    DAYS_OPS,
    EVENT_OPS,
    SET_OPS,
    TRAIT_OPS,
    VALUELESS_OPS,
)
from refiner_server.surveys.kinds import Either, Field, Has, Is, Not, Shape
from refiner_web import appearance, channels, definition
from refiner_web.answers import MAX_CHOICES, MAX_COLUMNS, MAX_QUESTIONS, MAX_ROWS, TEXT_MAX
from refiner_web.devices import DEVICES
from refiner_web.triggers import (
    DELAY_FROM,
    PAGE_MATCHES,
    PAGE_PARTS,
    TRIGGER_TYPES,
)

SURVEY_STATUSES = ("draft", "live", "paused", "archived")
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
REPEATS = ("once", "each_trigger", "interval")
RULE_KINDS = ("trait", "account_trait", "event", "device", "locale", "segment")
VALUELESS_LOGIC = ("answered", "skipped")
CHOICE_TYPES = ("single_choice", "multiple_choice")


def _options(question: dict[str, Any]) -> int:
    """A multiple choice's options, `other` included: the most `min` and `max` can be."""
    return len(question["choices"]) + (1 if question.get("other") else 0)


def _question_fields() -> tuple[Field, ...]:
    def text(name: str, doc: str) -> Field:
        return Field(name, "string", doc)

    rating, csat, date = Is("type", "rating"), Is("type", "csat"), Is("type", "date")
    return (
        Field(
            "id",
            "string",
            "unique in the survey; the answer's key",
            required=True,
            low=1,
            high=64,
        ),
        Field("type", "enum", "what is asked", required=True, values=tuple(definition.TYPES)),
        text("title", "the question's title"),
        text("description", "the question's description"),
        text("button", "the question's button"),
        text("placeholder", "the question's placeholder"),
        text("other_label", "the question's other label"),
        text("label", "consent: the checkbox's words"),
        Field("required", "flag", "an answer is needed to go on", False),
        Field("labels", "object", "words under the ends of a scale", of="labels"),
        Field(
            "scale",
            "integer",
            "rating, matrix without columns: the number of steps",
            5,
            when=Is("type", "rating", "matrix"),
            low=3,
            high=10,
        ),
        Field(
            "style",
            "enum",
            "rating: stars or numbers; csat: faces or labels",
            when=rating,
            values=("stars", "numbers"),
        ),
        Field("style", "enum", when=csat, values=("faces", "labels")),
        Field(
            "choices",
            "list",
            "single_choice, multiple_choice: the options, in order",
            required=True,
            when=Is("type", *CHOICE_TYPES),
            low=1,
            high=MAX_CHOICES,
            of="choice",
        ),
        Field(
            "choices",
            "list",
            required=True,
            when=Is("type", "ranking"),
            low=2,
            high=MAX_CHOICES,
            of="choice",
        ),
        Field(
            "rows",
            "list",
            "matrix: the rows, each answered on the columns",
            required=True,
            when=Is("type", "matrix"),
            low=1,
            high=MAX_ROWS,
            of="choice",
        ),
        Field(
            "columns",
            "list",
            "matrix: the options of every row (without them, a scale of 1 to `scale`)",
            when=Is("type", "matrix"),
            low=2,
            high=MAX_COLUMNS,
            of="choice",
        ),
        Field(
            "other",
            "flag",
            "single_choice, multiple_choice: an 'other' option with a text box",
            False,
            when=Is("type", *CHOICE_TYPES),
        ),
        Field(
            "min",
            "integer",
            "multiple_choice: the fewest options to pick",
            when=Is("type", "multiple_choice"),
            low=0,
            high=_options,
        ),
        Field(
            "max",
            "integer",
            "multiple_choice: the most options to pick",
            when=Is("type", "multiple_choice"),
            low=1,
            high=_options,
        ),
        Field("min", "day", when=date),
        Field("max", "day", when=date),
        Field(
            "multiline",
            "flag",
            "text: a text area instead of a line",
            False,
            when=Is("type", "text"),
        ),
        Field(
            "max_length",
            "integer",
            "text, email: the most characters",
            when=Is("type", "text", "email"),
            low=1,
            high=TEXT_MAX,
        ),
        Field(
            "link",
            "object",
            "statement, consent: a link under the text; cta: its button",
            when=Is("type", "statement", "consent"),
            of="link",
        ),
        Field("link", "object", required=True, when=Is("type", "cta"), of="link"),
    )


def _audience_rule_fields() -> tuple[Field, ...]:
    event = Has("event")
    trait = Either(Has("trait"), Has("account_trait"))
    other_ops = tuple(op for op in TRAIT_OPS if op not in VALUELESS_OPS + DAYS_OPS + ("contains",))
    names = tuple(
        Field(kind, "text", f"the {kind.replace('_', ' ')}'s name", null_ok=False)
        for kind in ("trait", "account_trait", "event")
    )
    return (
        *names,
        Field(
            "device",
            "words",
            "the visit's device class, one of these",
            null_ok=False,
            values=DEVICES,
        ),
        Field(
            "locale",
            "words",
            "the visit's locale, one of these language tags (`de` takes any region)",
            null_ok=False,
        ),
        Field("segment", "text", "the id of one of the project's segments", null_ok=False),
        Field(
            "op",
            "enum",
            "trait: "
            + ", ".join(TRAIT_OPS)
            + "; event: "
            + ", ".join(EVENT_OPS)
            + "; device, locale, segment: "
            + ", ".join(SET_OPS),
            required=True,
            when=trait,
            values=TRAIT_OPS,
        ),
        Field("op", "enum", required=True, when=event, values=EVENT_OPS),
        Field(
            "op",
            "enum",
            when=Either(Has("device"), Has("locale"), Has("segment")),
            values=SET_OPS,
        ),
        Field(
            "value",
            "number",
            "what the trait is compared with (days for *_days_ago)",
            required=True,
            when=Is("op", *DAYS_OPS),
            low=0,
        ),
        Field("value", "text", required=True, when=Is("op", "contains")),
        Field("value", "scalar", required=True, when=Is("op", *other_ops)),
        Field(
            "count", "integer", "event: how many times at least", required=True, when=event, low=0
        ),
    )


def _who(rule_shape: str) -> tuple[Field, ...]:
    """Identity mode and rules: what an audience and a segment share."""
    return (
        Field("identified_only", "flag", "only people the page identified", False),
        Field("anonymous_only", "flag", "only people it did not", False),
        Field("match", "enum", "all rules must hold, or any", "all", values=("all", "any")),
        Field(
            "rules",
            "list",
            "conditions on traits, events, the visit's device and locale, and segments",
            of=rule_shape,
        ),
    )


def _trigger_fields() -> tuple[Field, ...]:
    delay = Is("type", "delay")
    return (
        Field(
            "type",
            "enum",
            "when the survey shows, once the server lets it",
            required=True,
            values=TRIGGER_TYPES,
        ),
        Field(
            "delay_s",
            "number",
            "seconds to wait (page: on the page; delay: from `from`)",
            required=delay,
            low=0,
        ),
        Field("from", "enum", "delay: counted from", DELAY_FROM[0], when=delay, values=DELAY_FROM),
        Field(
            "event",
            "text",
            "event: the trackEvent name",
            required=True,
            when=Is("type", "event"),
        ),
        Field(
            "percent",
            "number",
            "scroll: how far down the page",
            when=Is("type", "scroll"),
            low=0,
            high=100,
        ),
        Field("pages", "object", "page rules: include and exclude", of="pages"),
    )


def _thank_you_fields() -> tuple[Field, ...]:
    return (
        Field("title", "string", "the heading"),
        Field("description", "string", "the text under it"),
        Field("button", "string", "a close button's label"),
        Field(
            "auto_close_s",
            "number",
            "seconds until it closes by itself",
            definition.DEFAULT_AUTO_CLOSE_S,
            low=0,
        ),
    )


def _survey_fields() -> tuple[Field, ...]:
    return (
        Field(
            "id",
            "string",
            "unique in the project; [A-Za-z0-9_.-]",
            required=True,
            low=1,
            high=64,
            chars=ID_CHARS,
            message="a string of 1-64 characters from [A-Za-z0-9_.-] is required",
        ),
        Field("name", "string", "for the dashboard"),
        Field(
            "status",
            "enum",
            "only live surveys are served",
            "draft",
            required=True,
            values=SURVEY_STATUSES,
            null_ok=False,
            filled=True,
        ),
        Field(
            "questions",
            "list",
            "in the order asked",
            required=True,
            high=MAX_QUESTIONS,
            of="question",
        ),
        Field("logic", "list", "jumps, the first that holds wins", of="logic_rule"),
        Field("thank_you", "object", "the screen after the last answer", of="thank_you"),
        Field("trigger", "object", "when it shows", {"type": "manual"}, of="trigger"),
        Field("audience", "object", "who may see it", of="audience"),
        Field("frequency", "object", "how often", {"repeat": "once"}, of="frequency"),
        Field("schedule", "object", "between which dates", of="schedule"),
        Field("appearance", "object", "where and how it looks", of="appearance"),
        Field(
            "translations",
            "map",
            "by language code: strings that replace the definition's",
            of="translation",
        ),
        Field(
            "hidden_fields",
            "names",
            "names of hidden fields a link page prefills from its query string (?plan=pro)",
        ),
        Field(
            "channels",
            "object",
            "where else it is asked: its link page, a feedback button",
            of="channels",
        ),
    )


SHAPES: dict[str, Shape] = {
    "survey": Shape(_survey_fields()),
    "question": Shape(_question_fields()),
    "labels": Shape(
        (Field("low", "string", null_ok=False), Field("high", "string", null_ok=False)),
        closed=True,
    ),
    "choice": Shape(
        (Field("id", "text", required=True), Field("label", "string")),
    ),
    "link": Shape(
        (Field("label", "text", required=True), Field("url", "url", required=True)),
    ),
    "logic_rule": Shape(
        (
            Field("if", "object", "the condition on one answer", required=True, of="condition"),
            Field(
                "goto",
                "string",
                "a later question's id, or end",
                required=True,
                message="no question with id {value!r} (or 'end')",
            ),
        )
    ),
    "condition": Shape(
        (
            Field(
                "question",
                "string",
                "the id of an earlier question",
                required=True,
                message="no question with id {value!r}",
            ),
            Field("row", "text", "matrix: the row whose answer is compared"),
            Field(
                "op",
                "enum",
                "how its answer is compared",
                required=True,
                values=tuple(definition.OPS),
            ),
            Field("value", "day", required=True, when=Is("op", "before", "after")),
            Field(
                "value",
                "any",
                "what it is compared with (not for answered, skipped)",
                required=Not(Is("op", *VALUELESS_LOGIC)),
                missing="required with op {op}",
            ),
        )
    ),
    "thank_you": Shape(_thank_you_fields()),
    "appearance": Shape(
        (
            Field(
                "position",
                "enum",
                "where the survey sits",
                appearance.POSITIONS[0],
                values=tuple(appearance.POSITIONS),
                message="{value!r} is not understood by the client",
            ),
            Field(
                "theme",
                "enum",
                "light, dark, or as the visitor's system",
                appearance.THEMES[0],
                values=tuple(appearance.THEMES),
                message="{value!r} is not understood by the client",
            ),
            Field(
                "accent",
                "colour",
                "the colour of buttons and selections, #rgb or #rrggbb",
                appearance.DEFAULT_ACCENT,
            ),
        )
    ),
    "translation": Shape(
        (
            Field(
                "questions",
                "map",
                "by question id: the strings to replace (title, description, labels, ...)",
            ),
            Field("thank_you", "object", "the thank-you strings to replace", of="thank_you"),
        )
    ),
    "audience": Shape(
        (
            *_who("audience_rule"),
            Field(
                "sample_percent",
                "number",
                "the share of the audience asked",
                100,
                low=0,
                high=100,
            ),
        ),
        not_together=("identified_only", "anonymous_only"),
    ),
    "audience_rule": Shape(_audience_rule_fields(), one_of=RULE_KINDS),
    # a segment (`segments.py`): an audience without sampling, whose rules name no segment
    "segment": Shape(
        _who("segment_rule"), closed=True, not_together=("identified_only", "anonymous_only")
    ),
    "segment_rule": Shape(
        tuple(f for f in _audience_rule_fields() if f.name != "segment"),
        one_of=tuple(k for k in RULE_KINDS if k != "segment"),
    ),
    "frequency": Shape(
        (
            Field(
                "repeat",
                "enum",
                "once, each time the trigger fires, or every interval_days",
                "once",
                values=REPEATS,
                falsy_ok=True,
            ),
            Field(
                "interval_days",
                "number",
                "repeat interval: days between two showings",
                required=Is("repeat", "interval"),
                low=0,
                missing="required when repeat is interval",
            ),
            Field(
                "max_days", "number", "repeat interval: stop this many days after the first", low=0
            ),
            Field(
                "dismissed_retry_days",
                "number",
                "ask again this many days after a dismissal",
                low=0,
            ),
            Field(
                "ignore_recontact_wait",
                "flag",
                "shown whatever the project's recontact wait",
                False,
            ),
        )
    ),
    "schedule": Shape(
        (
            Field(
                "start_at",
                "date",
                "not shown before: an ISO 8601 date or date-time (UTC unless it says otherwise)",
            ),
            Field(
                "end_at",
                "date",
                "not shown from: an ISO 8601 date or date-time (UTC unless it says otherwise)",
            ),
            Field(
                "max_responses",
                "integer",
                "closed once this many responses are completed",
                low=1,
            ),
        )
    ),
    "trigger": Shape(_trigger_fields()),
    "channels": Shape(
        (
            Field(
                "link",
                "enum",
                "its page /s/{project}/{survey}: off; public, for anyone with the address; "
                "one_time, only through one-time links minted per person",
                channels.LINK_ACCESS[0],
                values=channels.LINK_ACCESS,
            ),
            Field("title", "string", "the link page's title (default: the first question's)"),
            Field("description", "string", "the link page's description for link previews"),
            Field("button", "object", "a feedback button that opens it on demand", of="button"),
        ),
        closed=True,
    ),
    "button": Shape(
        (
            Field(
                "label",
                "string",
                "the button's text",
                channels.DEFAULT_LABEL,
                low=1,
                high=channels.MAX_LABEL,
            ),
            Field(
                "position",
                "enum",
                "a tab on the right or left edge, or a corner button",
                channels.BUTTON_POSITIONS[0],
                values=channels.BUTTON_POSITIONS,
            ),
            Field(
                "background",
                "colour",
                "its colour, #rgb or #rrggbb (the text is black or white, as reads better)",
                appearance.DEFAULT_ACCENT,
            ),
            Field("pages", "object", "the pages it shows on: include and exclude", of="pages"),
        ),
        closed=True,
    ),
    "pages": Shape(
        (
            Field(
                "include",
                "list",
                "show only on pages that match one of these",
                of="page_rule",
                falsy_ok=True,
            ),
            Field(
                "exclude",
                "list",
                "never on pages that match one of these",
                of="page_rule",
                falsy_ok=True,
            ),
        )
    ),
    "page_rule": Shape(
        (
            Field("match", "enum", "how the value is compared", required=True, values=PAGE_MATCHES),
            Field(
                "value",
                "text",
                "the text, pattern (`*` matches anything) or regex",
                required=True,
            ),
            Field("value", "regex", required=True, when=Is("match", "regex")),
            Field("on", "enum", "the path or the whole URL", PAGE_PARTS[0], values=PAGE_PARTS),
        )
    ),
}
