"""The delivery worker: claims endpoints with due messages and sends their queue in order.

Exactly one process delivers an endpoint at a time: a short transaction claims it with a
lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite) which every
recorded attempt renews. A process killed mid-send leaves the lease to expire; the next
claimant sends the message again with the same `webhook-id` (at least once). A message is
marked delivered only after a 2xx, in its own transaction; a failure sets the next attempt
with exponential backoff and jitter, and after `RETRY_WINDOW` (24 h) of failures the
message is given up and its endpoint disabled, with the reason for the dashboard.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.clock import Clock
from refiner_server.db import as_utc, is_sqlite
from refiner_server.webhooks import signing
from refiner_server.webhooks.tables import webhook_deliveries as D
from refiner_server.webhooks.tables import webhook_endpoints as E
from refiner_server.webhooks.targets import UnsafeTarget, check_url, pinned_url, resolve

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0  # one attempt, connect to last byte read
LEASE_S = 30.0  # a claim outlives an attempt; renewed by every recorded attempt
POLL_S = 0.5  # how often an idle worker looks for due messages
ENDPOINTS_AT_ONCE = 8  # endpoints one worker sends to concurrently (each in order)
BATCH = 100  # queued messages read at once per endpoint
RETRY_BASE_S, RETRY_CAP_S = 5.0, 3600.0
EXCERPT_BYTES = 512
USER_AGENT = "refiner-webhooks/0.1"


class Outcome:
    """What one attempt came to."""

    __slots__ = ("ok", "status_code", "latency_ms", "error", "excerpt")

    def __init__(
        self,
        ok: bool,
        status_code: int | None = None,
        latency_ms: int | None = None,
        error: str | None = None,
        excerpt: str | None = None,
    ) -> None:
        self.ok, self.status_code, self.latency_ms = ok, status_code, latency_ms
        self.error, self.excerpt = error, excerpt


def backoff(attempts: int, base_s: float = RETRY_BASE_S, cap_s: float = RETRY_CAP_S) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from `base_s`, at
    most `cap_s`, with ±25 % jitter so that endpoints that failed together spread out."""
    return min(base_s * 2 ** (attempts - 1), cap_s) * random.uniform(0.75, 1.25)


class Worker:
    """Delivers the outbox of one database; any number may run, in any processes."""

    def __init__(
        self,
        engine: Engine,
        allow_private: bool = False,
        clock: Clock | None = None,
        timeout_s: float = TIMEOUT_S,
        lease_s: float = LEASE_S,
        poll_s: float = POLL_S,
        retry_base_s: float = RETRY_BASE_S,
        call: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        self.engine = engine
        # how a database step runs: in a thread by default; the server passes
        # `ClientStore.call`, which on SQLite runs it on the loop and waits for another
        # process's write lock without sleeping in SQLite's busy handler (that handler
        # sleeps up to 100 ms a try, so beside busy writers the worker would crawl)
        self._call = call or asyncio.to_thread
        self.allow_private = allow_private
        self.clock = clock or Clock()
        self.timeout_s, self.lease_s, self.poll_s = timeout_s, lease_s, poll_s
        self.retry_base_s = retry_base_s
        self.owner = "w_" + secrets.token_hex(8)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; a failure of the database is logged and retried."""
        async with self.http_client() as client:
            while not stop.is_set():
                try:
                    sent = await self.run_once(client)
                except Exception:
                    log.exception("webhook delivery round failed; trying again")
                    sent = 0
                if not sent:
                    try:
                        await asyncio.wait_for(stop.wait(), self.poll_s)
                    except TimeoutError:
                        pass

    def http_client(self) -> httpx.AsyncClient:
        """No redirects, no proxies from the environment, a timeout on every attempt."""
        return httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self.timeout_s),
            limits=httpx.Limits(max_connections=2 * ENDPOINTS_AT_ONCE),
        )

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """One round: claim endpoints with a due message, drain each. Attempts made."""
        claimed = await self._call(self._claim)
        if not claimed:
            return 0
        done = await asyncio.gather(*(self._drain(client, ep) for ep in claimed))
        return sum(done)

    # -- claims ---------------------------------------------------------------------------

    def _claim(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        # a read first: an idle worker never takes SQLite's write lock
        with self.engine.connect().execution_options(readonly=True) as conn:
            if conn.execute(_ANY_DUE, {"now": now}).first() is None:
                return []
        query = _CLAIMABLE
        if not is_sqlite(self.engine):
            query = query.with_for_update(skip_locked=True, of=E)
        with self.engine.begin() as conn:
            rows = [dict(r) for r in conn.execute(query, {"now": now}).mappings()]
            if rows:
                conn.execute(
                    E.update().where(E.c.id.in_([r["id"] for r in rows])),
                    {"lease_owner": self.owner, "lease_until": now + self._lease()},
                )
        return rows

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.lease_s)

    def _release(self, endpoint_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                E.update().where(E.c.id == endpoint_id, E.c.lease_owner == self.owner),
                {"lease_owner": None, "lease_until": None},
            )

    def _queue(self, endpoint_id: str) -> list[sa.Row[Any]]:
        with self.engine.connect().execution_options(readonly=True) as conn:
            return list(conn.execute(_QUEUE, {"endpoint_id": endpoint_id}))

    # -- sending --------------------------------------------------------------------------

    async def _drain(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> int:
        """Send the endpoint's due messages in order; stop at the first failure or at one
        not due yet (order: nothing behind it goes first). Attempts made.

        Results are written while the next messages go out, in batches: a batch is written
        once the previous one is, so the queue costs one transaction per batch, not one
        per message. A crash before a batch is written resends it (same ids)."""
        attempts = 0
        unrecorded: list[tuple[Any, Outcome]] = []
        writing: asyncio.Future[bool] | None = None
        try:
            while True:
                queue = await self._call(self._queue, endpoint["id"])
                for row in queue:
                    if as_utc(row.next_attempt_at) > self.clock.now():
                        return attempts
                    outcome = await self.attempt(client, endpoint, row)
                    attempts += 1
                    unrecorded.append((row, outcome))
                    if outcome.ok and writing is not None and not writing.done():
                        continue  # gathers the next batch while this one is written
                    if writing is not None and not await writing:
                        return attempts  # the lease went to another process
                    batch, unrecorded = unrecorded, []
                    writing = asyncio.ensure_future(self._call(self._record, endpoint, batch))
                    if not outcome.ok:
                        return attempts
                if writing is not None and not await writing:
                    return attempts
                writing = None
                if unrecorded:  # written before the queue is read again
                    batch, unrecorded = unrecorded, []
                    if not await self._call(self._record, endpoint, batch):
                        return attempts
                if len(queue) < BATCH:
                    return attempts
        finally:
            if writing is not None:
                await writing
            if unrecorded:
                await self._call(self._record, endpoint, unrecorded)
            await self._call(self._release, endpoint["id"])

    async def attempt(
        self, client: httpx.AsyncClient, endpoint: dict[str, Any], row: Any
    ) -> Outcome:
        """POST one message, signed now; never raises for the receiver's faults."""
        try:
            parts = check_url(endpoint["url"], self.allow_private)
            address = await resolve(parts, self.allow_private)
        except UnsafeTarget as exc:
            return Outcome(False, error=str(exc))
        body = row.body.encode()
        at = self.clock.now()
        headers = signing.headers(row.message_id, body, at, self._keys(endpoint, at))
        headers["user-agent"] = USER_AGENT
        headers["host"] = parts.netloc.rpartition("@")[2]
        started = time.perf_counter()
        try:
            async with client.stream(
                "POST",
                pinned_url(parts, address),
                content=body,
                headers=headers,
                extensions={"sni_hostname": parts.hostname},
            ) as response:
                excerpt = b""
                async for chunk in response.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
        except httpx.TimeoutException:
            return Outcome(False, latency_ms=_ms(started), error=f"timeout ({self.timeout_s:g} s)")
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:255]
            return Outcome(False, latency_ms=_ms(started), error=error)
        code = response.status_code
        return Outcome(
            200 <= code < 300,
            status_code=code,
            latency_ms=_ms(started),
            error=None if 200 <= code < 300 else f"HTTP {code}",
            excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")[:EXCERPT_BYTES],
        )

    @staticmethod
    def _keys(endpoint: dict[str, Any], at: datetime) -> list[str]:
        """The current secret, and the previous one while it is still valid."""
        keys = [endpoint["secret"]]
        until = as_utc(endpoint["previous_until"])
        if endpoint["previous_secret"] and until is not None and until > at:
            keys.append(endpoint["previous_secret"])
        return keys

    # -- results --------------------------------------------------------------------------

    def _record(self, endpoint: dict[str, Any], batch: list[tuple[Any, Outcome]]) -> bool:
        """Store attempts in one transaction and renew the lease. False when the lease was
        lost meanwhile (another process took the endpoint over)."""
        now = self.clock.now()
        lease: dict[str, Any] = {"lease_until": now + self._lease()}
        updates = []
        for row, outcome in batch:
            fields: dict[str, Any] = {
                "of_pk": row.pk,
                "status": "delivered",
                "attempts": row.attempts + 1,
                "next_attempt_at": as_utc(row.next_attempt_at),
                "finished_at": now,
                "last_attempt_at": now,
                "last_status_code": outcome.status_code,
                "last_latency_ms": outcome.latency_ms,
                "last_error": outcome.error,
                "response_excerpt": outcome.excerpt,
            }
            if not outcome.ok:
                retry_at = now + timedelta(seconds=backoff(row.attempts + 1, self.retry_base_s))
                if retry_at > as_utc(row.expires_at):
                    fields["status"] = "failed"
                    reason = f"message {row.message_id} failed for 24 h ({outcome.error})"
                    lease.update(enabled=False, disabled_at=now, disabled_reason=reason[:255])
                    log.warning("webhook endpoint %s disabled: %s", endpoint["id"], reason)
                else:
                    fields.update(status="pending", next_attempt_at=retry_at, finished_at=None)
            updates.append(fields)
        with self.engine.begin() as conn:
            conn.execute(_RECORD, updates)
            kept = conn.execute(
                E.update()
                .where(E.c.id == endpoint["id"], E.c.lease_owner == self.owner)
                .returning(E.c.id),
                lease,
            )
            return kept.first() is not None


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """Run `worker` for the duration of the block (the server's lifespan), in a thread with
    an event loop of its own; on exit it stops after the attempt in flight. On the
    server's loop each step of a delivery (connect, send, read, record) waited behind the
    requests being served, which on SQLite run on that loop: one endpoint's messages,
    sent one after another, crawled while responses were coming in."""
    started = threading.Event()
    loop_and_stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def main() -> None:
        stop = asyncio.Event()
        loop_and_stop.append((asyncio.get_running_loop(), stop))
        started.set()
        await worker.run(stop)

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="webhooks", daemon=True)
    thread.start()
    await asyncio.to_thread(started.wait)
    try:
        yield
    finally:
        loop, stop = loop_and_stop[0]
        loop.call_soon_threadsafe(stop.set)
        # a daemon thread: one still stuck in an attempt after this dies with the process,
        # its lease expires and another process resends
        await asyncio.to_thread(thread.join, worker.timeout_s + 5)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


_RESULT_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "finished_at",
    "last_attempt_at",
    "last_status_code",
    "last_latency_ms",
    "last_error",
    "response_excerpt",
)
#: the first pending message of an endpoint: only it may be sent (order)
_HEAD_DUE = (
    sa.select(D.c.next_attempt_at)
    .where(D.c.endpoint_id == E.c.id, D.c.status == "pending")
    .order_by(D.c.pk)
    .limit(1)
    .scalar_subquery()
)
_ANY_DUE = (
    sa.select(D.c.pk)
    .where(D.c.status == "pending", D.c.next_attempt_at <= sa.bindparam("now"))
    .limit(1)
)
_CLAIMABLE = (
    sa.select(E)
    .where(
        E.c.enabled,
        sa.or_(E.c.lease_until.is_(None), E.c.lease_until < sa.bindparam("now")),
        _HEAD_DUE <= sa.bindparam("now"),
    )
    .order_by(E.c.id)
    .limit(ENDPOINTS_AT_ONCE)
)
#: an attempt's result; `of_pk`: an UPDATE's bind names must differ from its columns
_RECORD = (
    D.update()
    .where(D.c.pk == sa.bindparam("of_pk"), D.c.status == "pending")
    .values({c: sa.bindparam(c) for c in _RESULT_COLUMNS})
)
_QUEUE = (
    sa.select(D)
    .where(D.c.endpoint_id == sa.bindparam("endpoint_id"), D.c.status == "pending")
    .order_by(D.c.pk)
    .limit(BATCH)
)
