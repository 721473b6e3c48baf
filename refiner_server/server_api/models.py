"""Bodies of the server API and the Segment source. Each field's JSON schema says what the
door takes, and the door takes exactly that: an id or an event name is checked here by the
client's own rules (`refiner_web.commands`), so a handler never refuses what passed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    WithJsonSchema,
    create_model,
    model_validator,
)

from refiner_server.client.rules import ClientId, Timestamp
from refiner_web import commands
from refiner_web.values import MAX_NAME

#: whole numbers a JavaScript caller passes for an id exactly (`commands.MAX_SAFE_INTEGER`)
SAFE = commands.MAX_SAFE_INTEGER
#: text with something besides white space (ids and names are stripped), and no NUL
SOME_TEXT = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be a string or a whole number")
    # JSON Schema's integers include 5.0; NaN and the infinities fail the bound
    if not isinstance(value, str) and not (abs(value) <= SAFE and value == int(value)):
        raise ValueError(f"a number id is whole and lies in [-{SAFE}, {SAFE}]")
    try:
        return commands.identifier(value, "the id")
    except commands.CommandError as exc:
        raise ValueError(str(exc)) from None


def _event_name(value: Any) -> str:
    try:
        return commands.parse_event_name([value], lambda _text: None)
    except commands.CommandError as exc:
        raise ValueError(str(exc)) from None


Id = Annotated[
    str,
    PlainValidator(_id),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": SOME_TEXT},
                {"type": "integer", "minimum": -SAFE, "maximum": SAFE},
            ],
            "description": "a user, account or anonymous id: text (white space around it "
            "is cut) or a whole number (its digits)",
        }
    ),
]
EventName = Annotated[
    str,
    PlainValidator(_event_name),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": SOME_TEXT}),
]
Text = StrictStr | None
#: a field that is used when it follows the client's rule and otherwise dropped with a
#: note, as `identifyUser` drops it: the door takes any value
Dropped = Annotated[Any, WithJsonSchema({})]
DROPPED = "; any other value is dropped with a note in `dropped`"


def _someone() -> ConfigDict:
    """Extra fields allowed, and the JSON schema of `FromSomeone._needs_someone`."""
    return ConfigDict(
        extra="allow",
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("userId", "anonymousId")
            ]
        },
    )


# -- the server API ------------------------------------------------------------------------


class IdentifyUserIn(BaseModel):
    """`identifyUser`'s object: every other field is a trait, by the client's rules."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "id": "user-42",
                "email": "ada@example.com",
                "plan": "pro",
                "signed_up_at": "2026-03-01T12:00:00Z",
                "account": {"id": "acme", "name": "Acme", "seats": 12},
            }
        },
    )

    id: Id = Field(description="unlike Refiner's, an email alone names no contact here")
    email: Dropped = Field(None, description="text" + DROPPED)
    name: Dropped = Field(None, description="text" + DROPPED)
    locale: Dropped = Field(
        None, description="a language tag, kept as the trait `locale`" + DROPPED
    )
    account: Dropped = Field(
        None,
        description="`{id, name, ...traits}` groups the user into one account" + DROPPED,
    )


class TrackEventIn(BaseModel):
    id: Id
    event: EventName
    event_id: ClientId | None = Field(
        None, description="makes the call idempotent: a retry with the same id stores nothing"
    )
    occurred_at: Timestamp | None = Field(None, description="default: when it arrives")


# -- the Segment source ----------------------------------------------------------------------


class Message(BaseModel):
    """What every Segment call may carry; other fields are ignored."""

    model_config = ConfigDict(extra="allow")

    userId: Id | None = None
    anonymousId: Id | None = None
    messageId: Text = Field(None, description="a retry of a track with it stores nothing")
    timestamp: Timestamp | None = None
    context: dict[str, Any] | None = Field(None, description="identify: `traits` count too")


class Identify(Message):
    type: Literal["identify"] = "identify"
    userId: Id
    traits: dict[str, Any] | None = Field(None, description="by the client's rules")


class Group(Message):
    type: Literal["group"] = "group"
    userId: Id
    groupId: Id = Field(description="the account id")
    traits: dict[str, Any] | None = Field(None, description="the account's; `name` is its name")


class FromSomeone(Message):
    """A call about a user or an anonymous visitor: one of the two ids at least."""

    model_config = _someone()

    @model_validator(mode="after")
    def _needs_someone(self) -> FromSomeone:
        if self.userId is None and self.anonymousId is None:
            raise ValueError("a userId or an anonymousId is required")
        return self


class Track(FromSomeone):
    type: Literal["track"] = "track"
    event: EventName


class Page(FromSomeone):
    type: Literal["page", "screen"] = "page"
    name: Text = None


def _typed(model: type[Message]) -> Any:
    """`model` with its `type` required: in a batch or at a webhook URL nothing else says
    what a message is (the kind's own endpoint does, so there it may be left out)."""
    kind = model.model_fields["type"].annotation
    return create_model(model.__name__ + "Message", __base__=model, type=(kind, ...))


AnyMessage = Annotated[
    _typed(Identify) | _typed(Group) | _typed(Track) | _typed(Page), Field(discriminator="type")
]


class Batch(BaseModel):
    model_config = ConfigDict(extra="allow")

    batch: list[dict[str, Any]] = Field(
        max_length=2500,
        description="messages, each as `/webhook` takes one: checked one by one, and one "
        "that cannot be stored is noted in `dropped`, not the batch refused",
    )


class Accepted(BaseModel):
    success: bool
    #: what was left out, one note each (`batch[2]: event: ...`, `trait x dropped: ...`)
    dropped: list[str]
