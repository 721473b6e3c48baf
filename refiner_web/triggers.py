"""When a served survey shows: page rules and the trigger state machine (pure, no browser).

The server decides who may see a survey (the ping's `forms`); the browser decides when. The
client owns one `Triggers` per page load and calls `due` whenever something a trigger can
wait on changes: a ping answer, a route change (pushState, replaceState, popstate,
hashchange), a `trackEvent`, a scroll step, an exit-intent signal, and the deadline `due`
asked for:

    triggers = Triggers(loaded_ms)                     # page load time, ms since the epoch
    due_ids, next_check_ms, cancelled_ids = triggers.due(forms, context)

- `due_ids`: surveys to show now, in `forms` order; each trigger occasion is reported once.
- `next_check_ms`: the earliest pending deadline (a delay running), or None; call `due`
  again then (one timer, replaced on every call).
- `cancelled_ids`: surveys whose page rule stopped matching since the last call; a delay
  of theirs no longer runs, and one still waiting in the show queue must leave it.

`context` is a dict:
    now_ms               int, now
    url                  str, location.href now
    session_start_ms     int or None: see `session_start`
    first_seen_ms        int or None: when this browser (or user) was first seen
    audience_entered_ms  {form_id: ms}: see `audience_entered`
    events               [[name, ms], ...] tracked on this page load (recent ones, oldest
                         first), including those tracked before the ping answered
    scroll_percent       int 0-100 of the current route
    exit_intent_ms       int or None: the last time the pointer left through the top

A survey's `trigger` (DESIGN.md §4); every type may carry `pages` (include/exclude rules)
that gate it, and a trigger occasion only counts while they match:
    immediate                      as soon as the pages match
    page      delay_s              `delay_s` after the pages started matching (time on page;
                                   a route change inside the matching pages keeps counting)
    delay     delay_s, from        `delay_s` after `from`: session_start (default),
                                   first_seen or audience_entered, counted across page loads
    event     event                on each matching event tracked since the pages matched
    exit_intent                    on each exit-intent signal
    scroll    percent              once the route is scrolled that far
    manual                         never: only `showForm` (the default)
"""

import re

TRIGGER_TYPES = ("immediate", "page", "delay", "event", "exit_intent", "scroll", "manual")
PAGE_MATCHES = ("equals", "starts_with", "contains", "pattern", "regex")
PAGE_PARTS = ("path", "url")
DELAY_FROM = ("session_start", "first_seen", "audience_entered")
SESSION_GAP_MS = 3600 * 1000  # a session ends after an hour without activity (Refiner's)

_regex_cache = {}


def url_path(url: str) -> str:
    """The path of a full URL (no query, no fragment); a bare path is returned as is."""
    start = url.find("://")
    if start >= 0:
        i = start + 3
        while i < len(url) and url[i] not in "/?#":
            i += 1
        url = url[i:]
    end = len(url)
    for mark in "?#":
        j = url.find(mark)
        if 0 <= j < end:
            end = j
    return url[:end] or "/"


def wildcard_match(pattern: str, text: str) -> bool:
    """Whole-text match where `*` stands for any run of characters (`/` included). Greedy
    leftmost search of the fixed pieces, which is exact for `*`-only patterns."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    head, tail = parts[0], parts[-1]
    if len(head) + len(tail) > len(text) or not text.startswith(head) or not text.endswith(tail):
        return False
    pos, end = len(head), len(text) - len(tail)
    for part in parts[1:-1]:
        found = text.find(part, pos, end)
        if found < 0:
            return False
        pos = found + len(part)
    return True


MAX_REGEX = 200  # characters of a page-rule regex
MAX_REGEX_TEXT = 256  # characters of the URL (or path) a regex is matched against: at 512,
#: one `^[a/]*a*b` took MicroPython 33 ms (bench/security.py)
MAX_REGEX_COST = 2  # unbounded quantifiers, plus one when not anchored with ^


def regex_fault(pattern: str) -> object:
    """The rule of the page-rule regex dialect that `pattern` breaks, or None.

    Both interpreters match by backtracking, where `(a+)+$` takes time exponential in the
    URL's length. The dialect keeps the worst case polynomial and small: no quantifier on
    a group (nested quantifiers, repeated alternations), no backreferences, and at most two
    `*`/`+` (counting an unanchored start as one), over at most MAX_REGEX_TEXT characters.
    The server refuses a survey whose regex breaks it; the client matches nothing with one.
    """
    if len(pattern) > MAX_REGEX:
        return "a regex is at most %d characters" % MAX_REGEX
    cost = 0 if pattern.startswith("^") else 1
    last = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if pattern[i + 1 : i + 2] in ("1", "2", "3", "4", "5", "6", "7", "8", "9"):
                return "a regex cannot use backreferences"
            last, i = "atom", i + 2
            continue
        if char == "[":  # a class: its * + ( ) are plain characters
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            i += 1 if pattern[i : i + 1] == "]" else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            last, i = "atom", i + 1
            continue
        if char in "*+?{" and last == ")":
            return "a regex cannot repeat a group (no quantifier after ')')"
        if char in "*+":
            cost += 1
        last = ")" if char == ")" else "atom"
        i += 1
    if cost > MAX_REGEX_COST:
        return "a regex has at most %d of * and + (an unanchored one, without ^, has one fewer)" % (
            MAX_REGEX_COST
        )
    return None


def _regex_search(expression: str, text: str) -> bool:
    """`re.search` over at most MAX_REGEX_TEXT characters, compiled once; an expression
    outside the dialect (`regex_fault`) or that this runtime cannot compile matches nothing
    (MicroPython's `re` lacks `{m,n}`, named groups and lookarounds)."""
    compiled = _regex_cache.get(expression, False)
    if compiled is False:
        compiled = None
        if regex_fault(expression) is None:
            try:
                compiled = re.compile(expression)
            except Exception:  # noqa: BLE001 - MicroPython raises plain ValueError/TypeError
                compiled = None
        _regex_cache[expression] = compiled
    return compiled is not None and compiled.search(text[:MAX_REGEX_TEXT]) is not None


def _trim_slash(path: str) -> str:
    return path.rstrip("/") or "/"


def rule_matches(rule: dict, url: str) -> bool:
    """One `{"match", "value", "on"}` rule against a URL. `equals` on a path ignores a
    trailing slash (`/app` is `/app/`), the usual cause of a survey missing its page."""
    value = rule.get("value")
    if not isinstance(value, str):
        return False
    on_path = rule.get("on", "path") != "url"
    text = url_path(url) if on_path else url
    match = rule.get("match")
    if match == "equals":
        return _trim_slash(text) == _trim_slash(value) if on_path else text == value
    if match == "starts_with":
        return text.startswith(value)
    if match == "contains":
        return value in text
    if match == "pattern":
        return wildcard_match(value, text)
    if match == "regex":
        return _regex_search(value, text)
    return False


def page_matches(rules: dict, url: str) -> bool:
    """Include/exclude lists: an exclude match wins; an empty include list is everywhere."""
    for rule in rules.get("exclude") or []:
        if rule_matches(rule, url):
            return False
    include = rules.get("include") or []
    if not include:
        return True
    for rule in include:
        if rule_matches(rule, url):
            return True
    return False


def session_start(start_ms: object, last_active_ms: object, now_ms: int) -> int:
    """The current session's start, kept by the client across page loads with the time of
    the last activity: a new session begins after an hour without any."""
    if start_ms is None or last_active_ms is None or now_ms - last_active_ms >= SESSION_GAP_MS:
        return now_ms
    return start_ms


def audience_entered(entered: dict, form_ids: list, now_ms: int) -> dict:
    """`{form_id: ms}` when each served survey entered the audience, from a ping's form
    ids: kept for surveys still served, now for new ones; a survey that left the audience
    enters it again when it comes back."""
    out = {}
    for form_id in form_ids:
        out[form_id] = entered.get(form_id, now_ms)
    return out


def _ms(seconds: object) -> int:
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds > 0:
        return int(seconds * 1000)
    return 0


def _occasion(kind: str, trigger: dict, form_id: str, since: int, context: dict) -> tuple:
    """(occasion, due_ms) of a trigger whose pages have matched since `since`, or
    (None, None) while it waits for something. An occasion fires once."""
    now = context["now_ms"]
    if kind == "immediate":
        return since, since
    if kind == "page":
        return since, since + _ms(trigger.get("delay_s"))
    if kind == "delay":
        origin = trigger.get("from") or "session_start"
        if origin == "audience_entered":
            ref = (context.get("audience_entered_ms") or {}).get(form_id)
        else:
            ref = context.get(origin + "_ms")
        if ref is None:
            return None, None
        return ref, ref + _ms(trigger.get("delay_s"))
    if kind == "event":
        latest = None
        for name, at in context.get("events") or []:
            if name == trigger.get("event") and at >= since and (latest is None or at > latest):
                latest = at
        return latest, latest
    if kind == "exit_intent":
        at = context.get("exit_intent_ms")
        return (at, at) if at is not None and at >= since else (None, None)
    if kind == "scroll":
        percent = trigger.get("percent", 50)
        return (since, now) if (context.get("scroll_percent") or 0) >= percent else (None, None)
    return None, None  # manual, or a type this client does not know


class Triggers:
    """The trigger state of one page load (see the module docstring)."""

    def __init__(self, loaded_ms: int) -> None:
        self.url = None
        self.route_ms = loaded_ms  # when the current URL was entered
        self.since = {}  # form id -> ms its pages started matching (this streak)
        self.fired = {}  # form id -> the last occasion reported due

    def due(self, forms: list, context: dict) -> tuple:
        """(due_ids, next_check_ms, cancelled_ids) for the served `forms` now."""
        now = context["now_ms"]
        url = context["url"]
        if url != self.url:
            if self.url is not None:
                self.route_ms = now
            self.url = url
        due_ids, cancelled, next_check = [], [], None
        served = {}
        for form in forms:
            form_id = form["id"]
            served[form_id] = True
            trigger = form.get("trigger")
            if not isinstance(trigger, dict):
                trigger = {}
            pages = trigger.get("pages")
            if isinstance(pages, dict) and not page_matches(pages, url):
                if form_id in self.since:
                    del self.since[form_id]
                    cancelled.append(form_id)
                continue
            since = self.since.get(form_id)
            if since is None:
                since = self.since[form_id] = self.route_ms
            kind = trigger.get("type") or "manual"
            occasion, at = _occasion(kind, trigger, form_id, since, context)
            if occasion is None or self.fired.get(form_id) == occasion:
                continue
            if at <= now:
                self.fired[form_id] = occasion
                due_ids.append(form_id)
            elif next_check is None or at < next_check:
                next_check = at
        for table in (self.since, self.fired):
            for form_id in [k for k in table if k not in served]:
                del table[form_id]  # no longer served: it starts afresh if it comes back
        return due_ids, next_check, cancelled
