"""The page's lifecycle callbacks: `onBeforeShow`, `onNavigation`, `onShow`, `onClose`,
`onDismiss`, `onComplete`, registered by their commands and called by the survey queue.

They are the host page's functions: an exception inside one is logged and never breaks the
survey. What a call gave back is one of the results below (JavaScript's values do not cross
the bridge; `platform.call` and the loader's `call` answer with these texts).
"""

#: the callback returned `false` (onBeforeShow: the survey must not show)
RETURNED_FALSE = "false"
#: the callback returned anything else
RETURNED = ""
#: the callback raised (logged already)
RAISED = "error"


class Lifecycle:
    """The callbacks registered, by name; `warn_command(name, text)` tells of a raise."""

    def __init__(self, platform: object, warn_command: object) -> None:
        self.platform = platform
        self.warn_command = warn_command
        self.callbacks = {}

    def register(self, name: str, fn: object) -> None:
        """`fn` becomes the callback `name`; None removes the one registered."""
        if fn is None:
            self.callbacks.pop(name, None)
        else:
            self.callbacks[name] = fn

    def parameters(self, name: str) -> object:
        """How many parameters the callback `name` declares; None when none is registered."""
        fn = self.callbacks.get(name)
        return None if fn is None else self.platform.arity(fn)

    def emit(self, name: str, args: list, next_step: object = None) -> object:
        """Calls the callback `name`, if any (None when there is none): RETURNED_FALSE,
        RETURNED, or RAISED after one warning. `next_step`, when given, is passed as the
        last argument (onBeforeShow's `next`)."""
        fn = self.callbacks.get(name)
        if fn is None:
            return None
        try:
            return self.platform.call(fn, args, next_step)
        except Exception as error:  # noqa: BLE001 - the host page's code may raise anything
            self.warn_command(name, "callback raised %r" % (error,))
            return RAISED
