"""Where a fleet's rate-limit budget lives: a Redis or Valkey server, shared by many processes.

``async with RedisStore(url) as store`` opens the store (one connection, made
again after a failure: ``_redis.py``, our own RESP2 wire, which says why it is
not a client library). ``RateLimit(..., store=store)`` then keeps the endpoint's
budget in the store, under ``{prefix:endpoint}:...`` keys: every process that
names the same prefix and endpoint shares one budget (``_shared.py`` is the guard
that uses it);
``CircuitBreaker(..., store=store)`` shares the opening of the endpoint's breaker
(``_shared_breaker.py``), through a task of the store's own nursery.

Design decisions, stated once:

- One Lua script (`ADMIT`) is the whole protocol: it reads the store's clock
  (``TIME``), applies what the process learnt since its last call (token
  corrections, refunds, a 429's block, ``x-ratelimit-*`` limits and remaining
  counts), then decides, in order, for a batch of calls: the calls of one
  process that queued while its previous round trip was in flight. At most one
  round trip per admitted call, whatever happened since; ``settle`` and
  ``abandon`` never talk to the store themselves.
- The decision is a GCRA (generic cell rate algorithm) per budget, requests and
  tokens: each key holds a *theoretical arrival time* (TAT) on the store's clock,
  microseconds. A call costing *c* units of a budget of *L* per minute goes when
  ``TAT - tau <= now`` (then ``TAT = max(TAT, now) + c * 60 / L``), where the
  burst ``tau`` is a small fraction of the minute (`RedisStore.burst`, 0.5 %),
  and the steady rate is ``L`` less twice that burst (less one request): over
  any window of *W* seconds at most ``burst + 1 + (L - 2 * burst - 1) * W / 60``
  requests are admitted, so a sliding minute holds at most the budget less one
  burst (tokens: plus the last call's, which may leave the budget in debt).
  The second burst is a margin for the jitter between the store's decision
  and the arrival at the endpoint (a process descheduled for a moment), so the
  endpoint's own limiter does not answer 429. Fixed or moving windows instead
  release a whole window's budget at once at their edges. Under excess demand
  99 % of the budget is used.
- Calls *reserve* their slot: when the budget is spent the script still grants
  the call a place in the queue (it advances the TAT) and says how long to wait,
  so a waiting call costs no polling, and callers are served in the order their
  admissions reach the store, across the whole fleet (FIFO, as fair as a single
  queue). A call that cannot wait that long (its deadline, ``max_wait``,
  ``wait=False``) reserves nothing. A reservation given up (cancelled wait, a
  later guard refused) is refunded on the next call.
- Only durations cross between clocks: the store returns "wait *w* seconds",
  the process sleeps *w* on its own clock, and every deadline is the caller's
  local one turned into a longest wait. Process clocks may be skewed or
  stepped; only the store's clock orders calls.
- Every key carries an expiry: a TAT key expires one second after its TAT
  (an expired TAT and a missing one mean the same thing), a block when it ends,
  a learnt limit after ten minutes. A store that lost its keys (restarted without
  persistence) is told by each process its last known TAT, which the script takes
  only when the key is missing: the queue of reservations already handed out is
  not admitted a second time.
- A store that fails or is slow (`RedisStore.timeout`) is the user's choice:
  ``failure="open"`` (the default) falls back to a local limiter holding
  ``local_share`` of the budget (starting empty: paced, no burst), logs a
  warning and retries the store after ``retry_after`` seconds;
  ``failure="closed"`` raises `StoreUnavailableError` (nothing is sent).

Why a Lua script and not the ``limits`` library: ``limits`` (5.x) offers fixed
and moving windows and a sliding-window counter, whose edges overshoot a sliding
minute by a few percent; it has no GCRA on the store's clock, no reservations
(waiting means polling ``hit`` in a loop) and no way to fold learnt headers and
corrections into the same round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import ssl
from collections.abc import AsyncIterator, Iterable, Sequence
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Final, Literal, final

import attrs
import trio

from .._errors import RateLimitWaitError
from ._redis import (
    Connection,
    RedisReplyError,
    Reply,
    bulk_numbers,
    bulk_strings,
    encode,
    parse_redis_url,
)
from ._sentinel import Sentinels

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "ADMIT",
    "Admission",
    "Learnt",
    "RedisStore",
    "StoreUnavailableError",
    "open_unopened",
]

logger = logging.getLogger("trio_openai.reliability")

FailureMode = Literal["open", "closed"]

# KEYS: 1 requests TAT, 2 tokens TAT, 3 block-until, 4 learnt rpm, 5 learnt tpm.
# ARGV: 1 rpm, 2 tpm (0: none), 3 burst (fraction of a minute), 4 tokens given back
#   (negative: charged), 5 requests given back, 6 block for (us, 0: none), 7 learnt
#   rpm, 8 learnt tpm (0: none), 9 remaining requests, 10 remaining tokens (-1: none),
#   11 hint requests TAT, 12 hint tokens TAT (us, 0: none), 13 spares wanted, 14 a
#   spare's token cost, then for each call in the batch, in order: its token cost
#   and its longest wait (us, -1: none).
# Returns: rpm, tpm, requests TAT - tau - now (us), the two TATs, spares granted,
#   then for each call: granted (0/1) and its wait (us).
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local burst = tonumber(ARGV[3])

local function limit(configured, key, learnt)
  if learnt > 0 then
    redis.call('SET', key, learnt, 'PX', 600000)
  else
    learnt = tonumber(redis.call('GET', key) or '0')
  end
  if learnt > 0 and (configured <= 0 or learnt < configured) then return learnt end
  return configured
end
local rpm = limit(tonumber(ARGV[1]), KEYS[4], tonumber(ARGV[7]))
local tpm = limit(tonumber(ARGV[2]), KEYS[5], tonumber(ARGV[8]))

local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
local block = tonumber(ARGV[6])
if block > 0 and now + block > blocked then
  blocked = now + block
  redis.call('SET', KEYS[3], blocked, 'PX', math.ceil(block / 1000) + 1000)
end
local start = math.max(now, blocked)

local function budget(key, per_minute, hint, back, remaining, extra)
  if per_minute <= 0 then return nil end
  -- The burst (and, for requests, the one call a debt lets through) is taken off
  -- the steady rate, so that a sliding minute never holds more than per_minute,
  -- and as much again, for the jitter between the store and the endpoint.
  local units = math.max(1, per_minute * burst)
  local step = 60000000 / math.max(per_minute - 2 * units - extra, per_minute / 2)
  local tau = units * step
  local tat = tonumber(redis.call('GET', key) or '-1')
  if tat < 0 then tat = hint end
  tat = tat - back * step
  if remaining >= 0 then
    local floor = now + tau - remaining * step
    if floor > tat then tat = floor end
  end
  return {key = key, step = step, tau = tau, tat = tat}
end
local calls = (#ARGV - 14) / 2
local spares = math.min(tonumber(ARGV[13]), 1000)
local spare_cost = tonumber(ARGV[14])
local tokens = tonumber(ARGV[4]) ~= 0 or (spares > 0 and spare_cost > 0)
for i = 1, calls do
  if tonumber(ARGV[13 + 2 * i]) > 0 then tokens = true end
end
local r = budget(KEYS[1], rpm, tonumber(ARGV[11]), tonumber(ARGV[5]), tonumber(ARGV[9]), 1)
local k = nil
if tokens then
  k = budget(KEYS[2], tpm, tonumber(ARGV[12]), tonumber(ARGV[4]), tonumber(ARGV[10]), 0)
end

local function take(cost, longest)
  local wait = start - now
  if r then wait = math.max(wait, r.tat - r.tau - now) end
  if k and cost > 0 then wait = math.max(wait, k.tat - k.tau - now) end
  -- (Within a microsecond: the TATs add up steps in floating point.)
  local granted = longest < 0 or wait < longest + 1
  if granted then
    local go = now + math.max(wait, 0)
    if r then r.tat = math.max(r.tat, go) + r.step end
    if k and cost > 0 then k.tat = math.max(k.tat, go) + cost * k.step end
  end
  return granted, wait
end
local out = {}
for i = 1, calls do
  local granted, wait = take(tonumber(ARGV[13 + 2 * i]), tonumber(ARGV[14 + 2 * i]))
  out[2 * i - 1] = granted and 1 or 0
  out[2 * i] = math.floor(math.max(wait, 0))
end
-- Spares: slots that go now, for calls the process expects soon, and only while
-- at least half the burst stays free after them: the last half of the burst is
-- always taken one call at a time, in the store's order.
local function spare(cost)
  if start > now then return false end
  local rt = r and math.max(r.tat, now) + r.step
  if rt and rt - now > r.tau / 2 + 1 then return false end
  local kt = k and cost > 0 and math.max(k.tat, now) + cost * k.step
  if kt and kt - now > k.tau / 2 + 1 then return false end
  if rt then r.tat = rt end
  if kt then k.tat = kt end
  return true
end
local granted_spares = 0
while granted_spares < spares and spare(spare_cost) do
  granted_spares = granted_spares + 1
end
for _, b in ipairs({r, k}) do
  if b then
    redis.call('SET', b.key, string.format('%.0f', b.tat),
               'PX', math.max(0, math.ceil((b.tat - now) / 1000)) + 1000)
  end
end
local ahead = 0
if r then ahead = r.tat - r.tau - now end
return {math.floor(rpm), math.floor(tpm), math.floor(ahead),
        r and string.format('%.0f', r.tat) or '0', k and string.format('%.0f', k.tat) or '0',
        granted_spares, unpack(out)}
"""


class StoreUnavailableError(RateLimitWaitError):
    """The shared rate-limit store did not answer, and the store fails closed.

    Raised before anything is sent, with ``RedisStore(failure="closed")``, when the
    store is unreachable, fails or is slower than its ``timeout``. A
    `RateLimitWaitError` (never retried; no server answered); ``wait`` is 0.

    Attributes:
        endpoint: The name of the endpoint whose budget could not be checked.
        wait: Always 0.
    """


@final
@attrs.frozen(kw_only=True)
class Learnt:
    """What a process learnt since its last admission, carried by the next one.

    Attributes:
        tokens_back: Tokens given back (an estimate above the usage, a failed
            attempt); negative when the usage was above the estimate.
        requests_back: Reserved requests that were never sent.
        block: Seconds every process must wait from now (a 429's Retry-After,
            a reset header), or 0.
        requests_per_minute: The server's ``x-ratelimit-limit-requests``, or 0.
        tokens_per_minute: The server's ``x-ratelimit-limit-tokens``, or 0.
        remaining_requests: The server's ``x-ratelimit-remaining-requests``, or -1.
        remaining_tokens: The server's ``x-ratelimit-remaining-tokens``, or -1.
    """

    tokens_back: float = 0
    requests_back: float = 0
    block: float = 0
    requests_per_minute: float = 0
    tokens_per_minute: float = 0
    remaining_requests: float = -1
    remaining_tokens: float = -1


@final
@attrs.frozen(kw_only=True)
class Admission:
    """The store's answer to one batch of admissions.

    Attributes:
        grants: For each call of the batch, in order: whether it has a slot, and
            the seconds until its slot (or until one, when it has none).
        requests_per_minute: The request budget in force (0: none).
        tokens_per_minute: The token budget in force (0: none).
        ahead: Seconds until the next call would go at once (0 or less: now).
        requests_tat: The requests TAT after the batch (store clock, microseconds).
        tokens_tat: The tokens TAT after the batch.
        spares: Spare slots granted, each going now (at most the number asked,
            never the last half of the burst).
    """

    grants: tuple[tuple[bool, float], ...]
    requests_per_minute: float
    tokens_per_minute: float
    ahead: float
    requests_tat: int
    tokens_tat: int
    spares: int = 0


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        msg = f"{attribute.name} must be positive, got {value!r}"
        raise ValueError(msg)


def _not_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value >= 0:
        msg = f"{attribute.name} must be 0 or more, got {value!r}"
        raise ValueError(msg)


def _failure(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("open", "closed"):
        msg = f"failure must be 'open' or 'closed', got {value!r}"
        raise ValueError(msg)


ADMIT_SHA = hashlib.sha1(ADMIT.encode(), usedforsecurity=False).hexdigest()
"""The script's name on the server (``EVALSHA``)."""

_PARTS = ("rq", "tk", "block", "rpm", "tpm")
_BY_NAME: Final = bulk_strings([b"EVALSHA", ADMIT_SHA])
_WHOLE: Final = bulk_strings([b"EVAL", ADMIT])
"""The heads of an admission: the script by name, or the script itself (``NOSCRIPT``)."""


@final
@attrs.define(eq=False)
class RedisStore:
    """A Redis or Valkey server holding rate-limit budgets shared by many processes.

    Pass it to ``RateLimit(store=...)`` (or ``CircuitBreaker(store=...)``). Given
    unopened, it is the client's: ``open_client`` (or ``SyncClient``, in its loop
    thread) opens it with the session and closes it at the end. Opened by the
    caller (``async with``: it owns a connection), it can serve several clients
    of the run, and stays open after them. Every process using the same *prefix*
    and endpoint name shares the endpoint's budget. Any Redis or Valkey server from 6.2 on:
    a single server, any node of a Redis Cluster, or the master that Redis Sentinel
    names (``redis+sentinel://``; after a failover, the new one: while open, the store
    listens for the sentinels' ``+switch-master``).

    Args:
        url: The server, e.g. ``"redis://127.0.0.1:6379/0"``,
            ``"redis://user:password@host:6379/2"``, ``"rediss://host"`` for TLS,
            ``"unix:///run/redis.sock?db=1"`` for a Unix socket (``valkey://``
            and ``valkeys://`` too),
            ``"redis+sentinel://:password@s1:26379,s2:26379/mymaster"`` for the
            master that the sentinels *s1*, *s2* monitor as ``mymaster``
            (``rediss+sentinel://`` for TLS). Its password never shows: the
            `url` attribute is the URL without it.
        prefix: The first part of every key; processes sharing a budget share it.
        failure: When the store fails or is slow: ``"open"`` (the default: calls
            go through a local limiter and a warning is logged) or ``"closed"``
            (`StoreUnavailableError`, nothing is sent).
        timeout: Seconds one store call may take (connecting included) before it
            counts as failed.
        retry_after: Seconds between attempts to reach a failed store (in
            between, the store is not asked).
        local_share: The fraction of the budget each process's local limiter
            holds while failing open (``1 / processes`` keeps the fleet within
            the budget; the default 1.0 is each process on its own).
        burst: The burst, as a fraction of a minute's budget (at least one call).
        poll: Seconds between two reads of the shared breakers' state (only
            when a ``CircuitBreaker(store=...)`` uses the store).
        prefetch: While the budget is not binding, each round trip also takes
            spare slots for about this many seconds of the process's recent
            demand, and the calls that come within that time use them without a
            round trip of their own; a spare not used by then is dropped (at most
            a quarter of the burst's time; 0: none).
        ssl_context: The TLS context for ``rediss://`` (default: the system's
            trust store, host name verified).

    Attributes:
        round_trips: Admission round trips made so far (each may admit a batch).

    Raises:
        ValueError: A setting is out of range, or the URL is malformed (the
            message shows it without its password).
    """

    url: str
    prefix: str = attrs.field(default="trio_openai", kw_only=True)
    failure: FailureMode = attrs.field(default="open", kw_only=True, validator=_failure)
    timeout: float = attrs.field(default=1.0, kw_only=True, validator=_positive)
    retry_after: float = attrs.field(default=1.0, kw_only=True, validator=_positive)
    local_share: float = attrs.field(default=1.0, kw_only=True, validator=_positive)
    burst: float = attrs.field(default=0.005, kw_only=True, validator=_positive)
    round_trips: int = attrs.field(default=0, init=False)
    poll: float = attrs.field(default=0.5, kw_only=True, validator=_positive)
    prefetch: float = attrs.field(default=0.05, kw_only=True, validator=_not_negative)
    ssl_context: ssl.SSLContext | None = attrs.field(default=None, kw_only=True, repr=False)
    _connection: Connection = attrs.field(init=False, repr=False)
    _state: Literal["unopened", "open", "closed"] = attrs.field(default="unopened", init=False)
    _stack: contextlib.AsyncExitStack | None = attrs.field(default=None, init=False, repr=False)
    _nursery: trio.Nursery | None = attrs.field(default=None, init=False, repr=False)
    _sentinels: Sentinels | None = attrs.field(default=None, init=False, repr=False)
    _open_until: dict[str, float] = attrs.field(factory=dict, init=False, repr=False)
    _polling: bool = attrs.field(default=False, init=False, repr=False)
    _keys: dict[str, bytes] = attrs.field(factory=dict, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        address = parse_redis_url(self.url)
        # From here on the URL is only ever shown without its password.
        self.url = address.display
        self._sentinels = Sentinels(address, self.ssl_context) if address.sentinels else None
        locate = self._sentinels.locate if self._sentinels is not None else None
        self._connection = Connection(address, self.ssl_context, locate=locate)

    async def __aenter__(self) -> Self:
        """Open the store: connect, and load the admission script.

        A store that does not answer now is not an error here (a warning is
        logged): each admission handles it by the failure mode.

        Raises:
            RuntimeError: The store was opened before.
        """
        if self._state != "unopened":
            msg = (
                f"this RedisStore is {self._state}: a store is opened once. To share one "
                "between clients, open it yourself (async with) and pass the open store"
            )
            raise RuntimeError(msg)
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            stack.push_async_callback(self._connection.aclose)
            # The store's own tasks (shared breakers: writes, polls) end with it.
            self._nursery = await stack.enter_async_context(trio.open_nursery())
            if self._sentinels is not None:
                # Follows a switch of master even when the old one still accepts writes.
                self._nursery.start_soon(
                    partial(
                        self._sentinels.watch,
                        self._connection,
                        answer_within=self.timeout,
                        retry_after=self.retry_after,
                    )
                )
        except BaseException:
            await stack.__aexit__(None, None, None)
            raise
        self._stack = stack
        self._state = "open"
        # Connect and load the script now, so the first admissions do not all
        # race to do it; a store that is down now is handled by each admission.
        try:
            await self._call(b"SCRIPT", b"LOAD", ADMIT)
        except OSError as exc:
            logger.warning("rate-limit store %s not reachable at opening: %s", self.url, exc)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the connection and end the store's tasks."""
        stack, self._stack = self._stack, None
        self._state = "closed"
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()
            self._nursery = None
        if stack is not None:
            # No cancel scope of ours around it: it closes the nursery, which was
            # opened outside any scope of this method. The block's own exception is
            # not passed in: the nursery would wrap it in an ExceptionGroup, and it
            # goes on as it is (this method returns None).
            await stack.__aexit__(None, None, None)

    async def _call(self, *args: bytes | str | int | float) -> Reply:
        """One command, within `timeout` (any failure is an ``OSError``)."""
        try:
            return await self._send(encode(*args))
        except RedisReplyError as exc:
            raise _answered(exc) from exc

    async def _send(self, command: bytes) -> Reply:
        """One encoded command, within `timeout` (an error reply is raised as it is)."""
        if self._state != "open":
            msg = f"the RedisStore is {self._state}"
            raise OSError(msg)
        # A bare cancel scope: `trio.fail_after` costs a generator-based context
        # manager on every admission.
        with trio.CancelScope(deadline=trio.current_time() + self.timeout) as scope:
            return await self._connection.send(command)
        assert scope.cancelled_caught  # (else the block returned)
        msg = f"the store did not answer within {self.timeout:g} s"
        raise OSError(msg)

    # -- shared breakers: one key per endpoint, "open" for as long as it lives --------

    def publish_open(self, key: str, seconds: float) -> None:
        """Tell the fleet the breaker under *key* is open for *seconds* (in the background)."""
        nursery = self._nursery
        if nursery is None or seconds <= 0:
            return
        self._open_until[key] = max(self._open_until.get(key, 0.0), trio.current_time() + seconds)

        async def write() -> None:
            try:
                await self._call(b"SET", key, b"open", b"PX", max(1, math.ceil(seconds * 1000)))
            except OSError as exc:
                logger.warning("could not share an open breaker (%s): %s", key, exc)

        nursery.start_soon(write)

    def open_until(self, key: str) -> float:
        """Until when (``trio.current_time()`` clock) the fleet says *key*'s breaker is open.

        The key is watched from the first call on: a task of the store reads the
        expiry of every watched key each `poll` seconds.
        """
        if key not in self._open_until:
            self._open_until[key] = -math.inf
            if self._nursery is not None and not self._polling:
                self._polling = True
                self._nursery.start_soon(self._poll)
        return self._open_until[key]

    async def _poll(self) -> None:
        while self._state == "open":
            for key in list(self._open_until):
                try:
                    left = await self._call(b"PTTL", key)
                except OSError:
                    continue
                now = trio.current_time()
                if isinstance(left, int) and left > 0:
                    self._open_until[key] = max(self._open_until[key], now + left / 1000)
            await trio.sleep(self.poll)

    def key(self, endpoint: str) -> str:
        """The prefix of the keys of *endpoint*'s budget: ``{prefix:endpoint}``.

        In braces, a Redis Cluster hash tag: every key of the endpoint is in one
        slot, as its one script needs.
        """
        return "{" + f"{self.prefix}:{endpoint}" + "}"

    async def admit(
        self,
        key: str,
        *,
        requests_per_minute: float,
        tokens_per_minute: float,
        calls: Sequence[tuple[int, float | None]],
        learnt: Learnt,
        hints: tuple[int, int],
        spares: int = 0,
        spare_tokens: int = 0,
    ) -> Admission:
        """Run the admission script once, for a batch of calls (see the module docstring).

        Args:
            key: The budget's key prefix (`key`).
            requests_per_minute: The configured request budget (0: none).
            tokens_per_minute: The configured token budget (0: none).
            calls: For each call, in order: its estimated tokens, and the longest
                wait it accepts in seconds (``None``: any).
            learnt: What the process learnt since its last round trip.
            hints: The last requests and tokens TATs this process was told.
            spares: Spare slots wanted after the batch: each is granted only if
                it goes now and leaves at least half the burst free.
            spare_tokens: The tokens each spare slot takes (an estimate).

        Raises:
            OSError: The store is not open, failed, was slower than ``timeout``,
                or answered with something else than the script's reply (the
                caller applies the failure mode).
        """
        keys = self._keys.get(key)
        if keys is None:
            keys = self._keys[key] = bulk_strings([len(_PARTS), *(f"{key}:{p}" for p in _PARTS)])
        args: list[float] = [
            requests_per_minute,
            tokens_per_minute,
            self.burst,
            learnt.tokens_back,
            learnt.requests_back,
            math.ceil(learnt.block * 1e6),
            learnt.requests_per_minute,
            learnt.tokens_per_minute,
            learnt.remaining_requests,
            learnt.remaining_tokens,
            hints[0],
            hints[1],
            spares,
            spare_tokens,
        ]
        for tokens, longest in calls:
            args += (tokens, -1 if longest is None else max(0, math.floor(longest * 1e6)))
        size = b"*%d\r\n" % (len(args) + 3 + len(_PARTS))
        numbers = bulk_numbers(args)
        self.round_trips += 1
        try:
            try:
                reply = await self._send(size + _BY_NAME + keys + numbers)
            except RedisReplyError as exc:
                if exc.code != "NOSCRIPT":
                    raise
                # The node lost its scripts (restarted, SCRIPT FLUSH) or never had them
                # (new in the cluster): the script itself, once, which also caches it
                # there for the EVALSHA of later calls.
                reply = await self._send(size + _WHOLE + keys + numbers)
        except RedisReplyError as exc:
            raise _answered(exc) from exc
        return _admission(reply, len(calls))


def _answered(exc: RedisReplyError) -> OSError:
    return OSError(f"the store answered: {exc}")


def _admission(reply: Reply, calls: int) -> Admission:
    """The script's reply as an `Admission` (``OSError`` if it is not one)."""
    try:
        if not isinstance(reply, list) or len(reply) != 6 + 2 * calls:
            raise TypeError
        rpm, tpm, ahead, rq_tat, tk_tat, spares, *grants = map(int, reply)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        msg = f"the store's answer is not the admission script's: {str(reply)[:80]}"
        raise OSError(msg) from None
    return Admission(
        grants=tuple((bool(grants[i]), grants[i + 1] / 1e6) for i in range(0, len(grants), 2)),
        requests_per_minute=float(rpm),
        tokens_per_minute=float(tpm),
        ahead=ahead / 1e6,
        requests_tat=rq_tat,
        tokens_tat=tk_tat,
        spares=spares,
    )


@contextlib.asynccontextmanager
async def open_unopened(stores: Iterable[RedisStore | None]) -> AsyncIterator[None]:
    """Open, for the block, each of *stores* given unopened (once each); leave the rest alone.

    ``open_client`` (and so ``SyncClient``, in its own thread) opens a store it was
    given unopened, and closes it with the session: ``RateLimit(store=RedisStore(url))``
    needs no ``async with`` of its own. A store the caller opened stays theirs.
    """
    async with contextlib.AsyncExitStack() as stack:
        seen: set[int] = set()
        for store in stores:
            if store is None or id(store) in seen:
                continue
            seen.add(id(store))
            if store._state == "unopened":
                await stack.enter_async_context(store)
        yield
