"""Who is here: the anonymous id (cookie), the identified user with their traits, account
and signature, and their locale, kept in the browser across page loads.

Pure Python: the cookie and storage come from the platform and `SafeStore`.
"""

from refiner_web.commands import ping_user

COOKIE = "refiner_anonymous_id"
COOKIE_MAX_AGE_S = 2 * 365 * 24 * 3600
USER_KEY = "refiner:user"
LOCALE_KEY = "refiner:locale"
ANON_KEY = "refiner:anonymous_id"


def _is_hex_id(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 32:
        return False
    for char in value:
        if char not in "0123456789abcdef":
            return False
    return True


class Identity:
    """The anonymous id, the user `identifyUser` named (None when anonymous) and the
    locale; every write and ping says who it is from through `ids` and `user_payload`."""

    def __init__(self, platform: object, storage: object) -> None:
        self.platform = platform
        self.storage = storage
        self.anonymous_id = self._anonymous_id()
        self.user = storage.get_json(USER_KEY)
        self.locale = storage.get(LOCALE_KEY)

    def _anonymous_id(self) -> str:
        """The id kept in the `refiner_anonymous_id` cookie (localStorage when cookies are
        off), made from 128 random bits on first sight and kept about two years."""
        platform = self.platform
        value = platform.get_cookie(COOKIE)
        if not _is_hex_id(value):
            value = self.storage.get(ANON_KEY)
        if not _is_hex_id(value):
            value = platform.random_id()
        platform.set_cookie(COOKIE, value, COOKIE_MAX_AGE_S)
        self.storage.set(ANON_KEY, value)
        return value

    def identify(self, user: dict) -> None:
        """`identifyUser`'s checked identity (`commands.parse_identify`); its locale, when
        it names one, becomes the locale."""
        if user["locale"] is not None:
            self.set_locale(user["locale"])
        self.user = user
        self.storage.set_json(USER_KEY, user)

    def reset(self) -> None:
        """Back to anonymous; the anonymous cookie stays, as the documents say."""
        self.user = None
        self.storage.remove(USER_KEY)

    def set_locale(self, locale: str) -> None:
        self.locale = locale
        self.storage.set(LOCALE_KEY, locale)

    def signature(self) -> object:
        return self.user["signature"] if self.user else None

    def ids(self, fields: dict) -> dict:
        """`fields` with who a write is from. The account id goes along only so that the
        server can check a signature that covers it (docs/security.md)."""
        user = self.user
        fields["anonymous_id"] = self.anonymous_id
        fields["user_id"] = user["id"] if user else None
        fields["signature"] = self.signature()
        if user and user["account"] is not None:
            fields["account_id"] = user["account"]["id"]
        return fields

    def user_payload(self) -> object:
        """The user as a ping carries it (None when anonymous)."""
        return None if self.user is None else ping_user(self.user)
