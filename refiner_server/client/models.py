"""Request and answer bodies of the client API (docs/internals.md); their fields' rules
are `rules`, their sizes `limits`.

Unknown fields are ignored (pydantic's default), so older servers accept newer clients.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from refiner_server.client.rules import (
    MAX_TRAITS,
    ClientId,
    EventName,
    Fields,
    FormId,
    HiddenFields,
    LinkToken,
    Locale,
    Short,
    Signature,
    Timestamp,
    Traits,
    Url,
    UserId,
    stored_trait,
)
from refiner_web import values
from refiner_web.devices import DEVICES


def _known_device(value: Any) -> str | None:
    return value if value in DEVICES else None


def _keep_storable(
    owner: Any, key: str, check: Any, most: int, noun: str, dropped: list[str]
) -> Any:
    """`owner` (a raw body object) with its `key` object cut to the entries `check` takes,
    at most `most`; one note per entry dropped. One bad trait or hidden field costs itself,
    never the request that carries it (the client's rules: refiner_web.values)."""
    if not isinstance(owner, dict) or not isinstance(owner.get(key), dict):
        return owner
    kept = values.keep_valid(list(owner[key].items()), check, most, noun, dropped.append)
    return {**owner, key: dict(kept)}


class Noted(BaseModel):
    """A body whose bad traits or hidden fields were dropped at the door, with a note each."""

    _dropped: list[str] = PrivateAttr(default_factory=list)

    @property
    def dropped(self) -> list[str]:
        """What was dropped, and why (`trait plan dropped: ...`)."""
        return self._dropped

    @classmethod
    def _clean(cls, data: Any, dropped: list[str]) -> Any:
        """The raw body with what is dropped taken out, noted in `dropped`."""
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _drop_bad(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        dropped: list[str] = []
        model = handler(cls._clean(data, dropped))
        model._dropped = dropped
        return model


class Account(BaseModel):
    id: UserId
    name: Short | None = None
    traits: Traits = Field(default_factory=dict)


class User(BaseModel):
    id: UserId
    email: Short | None = None
    name: Short | None = None
    traits: Traits = Field(default_factory=dict)
    account: Account | None = None


class Page(BaseModel):
    url: Url | None = None
    title: Url | None = None
    referrer: Url | None = None


class Identified(BaseModel):
    """Who a request is about: an anonymous id, a user id, or both."""

    anonymous_id: ClientId | None = None
    signature: Signature | None = None

    def who(self) -> str | None:
        """The user id, if the request is identified."""
        return getattr(self, "user_id", None)

    def account_of(self) -> str | None:
        """The account id the request names, which a signature covers with the user id."""
        return getattr(self, "account_id", None)

    @model_validator(mode="after")
    def _someone(self) -> Identified:
        if self.anonymous_id is None and self.who() is None:
            raise ValueError("anonymous_id or a user id is required")
        return self


def _someone(user_field: str) -> ConfigDict:
    """The JSON schema of `Identified._someone`: a non-null `anonymous_id` or user."""
    return ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("anonymous_id", user_field)
            ]
        }
    )


class PingIn(Identified, Noted):
    model_config = _someone("user")

    @classmethod
    def _clean(cls, data: Any, dropped: list[str]) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("user"), dict):
            return data
        user = _keep_storable(data["user"], "traits", stored_trait, MAX_TRAITS, "trait", dropped)
        account = _keep_storable(
            user.get("account"), "traits", stored_trait, MAX_TRAITS, "account trait", dropped
        )
        return {**data, "user": {**user, "account": account} if "account" in user else user}

    user: User | None = None
    locale: Locale | None = None
    page: Page | None = None
    #: the visit's device class as the client decides it (`refiner_web.devices`); a value
    #: this server does not know is taken as none, so newer clients are never refused
    device: Annotated[
        Any,
        BeforeValidator(_known_device),
        WithJsonSchema(
            {
                "description": "the device class: " + ", ".join(DEVICES) + "; any other "
                "value is taken as null (unknown), never refused",
            }
        ),
    ] = None

    def who(self) -> str | None:
        return self.user.id if self.user is not None else None

    def account_of(self) -> str | None:
        user = self.user
        return user.account.id if user is not None and user.account is not None else None


class WriteIn(Identified):
    model_config = _someone("user_id")

    user_id: UserId | None = None
    #: the user's account, sent only so that a signature covering it can be checked
    account_id: UserId | None = None
    #: a one-time link's token (docs/channels.md): the write is filed under its person
    link: LinkToken | None = None


class TryoutIn(BaseModel):
    """The token of a try-out link (`refiner_server.tryouts`)."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=512)]


class EventIn(WriteIn):
    event_id: ClientId
    name: EventName
    occurred_at: Timestamp | None = None


class ViewIn(WriteIn):
    view_id: ClientId
    form_id: FormId
    shown_at: Timestamp | None = None


class DismissalIn(WriteIn):
    dismissal_id: ClientId
    form_id: FormId
    dismissed_at: Timestamp | None = None


class ResponseIn(WriteIn, Noted):
    form_id: FormId
    answers: Fields = Field(default_factory=dict)
    data: HiddenFields = Field(default_factory=dict)

    locale: Locale | None = None
    page_url: Url | None = None
    completed: StrictBool = False

    @classmethod
    def _clean(cls, data: Any, dropped: list[str]) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            return data
        return {
            **data,
            "data": dict(values.add_fields([], list(data["data"].items()), dropped.append)),
        }


class ContactOut(BaseModel):
    first_seen_at: str
    last_seen_at: str


class PingOut(BaseModel):
    forms: list[dict[str, Any]]
    ping_interval_s: int
    contact: ContactOut


class Accepted(BaseModel):
    id: str


class ResponseOut(BaseModel):
    id: str
    form_id: str
    completed: bool
    created_at: str
    updated_at: str
    completed_at: str | None
    #: hidden fields dropped at the door, one note each (`field x dropped: <rule>`)
    dropped: list[str] = Field(default_factory=list)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail
