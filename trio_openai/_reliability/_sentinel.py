"""Redis Sentinel: where the master of a monitored service is now.

A store whose URL is ``redis+sentinel://host:26379[,host...]/service``
(`_redis.parse_redis_url`) connects to the master the sentinels name, asked
before each new connection (`Sentinels.locate`, the ``locate`` of
`_redis.Connection`), as Redis' guidelines for Sentinel clients say:

- the sentinels are asked in the URL's order (``SENTINEL
  get-master-addr-by-name``), the last one that answered first; one that does
  not know the service, fails, or does not answer within its share of the time
  left (the store's ``timeout``) is skipped, and the error names each;
- the node named must say it is a master (``ROLE``); one that answers
  ``READONLY`` later (demoted by a failover) makes the connection ask again
  (both in `_redis.Connection`);
- a sentinel that asks for a login (``NOAUTH``) is sent the URL's credentials,
  which are the master's; one that does not is asked without them;
- while the store is open, a task of its own (`Sentinels.watch`) listens on a
  sentinel for ``+switch-master`` of the service: the connection leaves the
  old master before its next command, even when that one still accepts writes
  (a failover by hand, ``SENTINEL FAILOVER``, demotes it only seconds later).

What a failover looks like from the store: the master goes down, the calls in
flight fail (the store's failure mode: by default a local limiter), and the
next connection goes to the master the sentinels name, once they have agreed
on it. The budget's keys are the new master's replica of the old one's, as of
the last replication: a few admissions may be forgotten, never more than the
replication lag's worth.

The sentinels' answer is trusted as the store's own configuration is: the
password is sent to the node they name (with TLS, whose certificate must match
that name). This module imports no trio-based client: it uses `Connection`.
"""

from __future__ import annotations

import logging
import math
import ssl
from typing import NoReturn, final

import attrs
import trio

from ._redis import Connection, RedisAddress, RedisProtocolError, RedisReplyError, Reply

__all__ = ["Sentinels"]

logger = logging.getLogger("trio_openai.reliability")


@final
class Sentinels:
    """The sentinels of one store's address, asked where its master is.

    Args:
        address: A sentinel address (`_redis.parse_redis_url` of a
            ``+sentinel`` URL): its sentinels, service, credentials and TLS.
        ssl_context: The TLS context for ``rediss+sentinel://``.

    Raises:
        ValueError: *address* names no sentinel.
    """

    def __init__(self, address: RedisAddress, ssl_context: ssl.SSLContext | None = None) -> None:
        if not address.sentinels or not address.service:
            msg = f"{address.display!r} is not a sentinel address"
            raise ValueError(msg)
        self._address = address
        self._ssl_context = ssl_context
        self._order = list(address.sentinels)
        self.switches = 0
        """``+switch-master`` messages of the service seen by `watch`."""

    def __repr__(self) -> str:
        return f"<Sentinels of {self._address.display}>"

    async def locate(self) -> tuple[str, int]:
        """The (host, port) the first sentinel that knows it gives for the master.

        Raises:
            OSError: No sentinel named it (each one's reason in the message).
        """
        order = self._order
        failures: list[str] = []
        for done, sentinel in enumerate(list(order)):
            found: tuple[str, int] | None = None
            with trio.move_on_after(_share(len(order) - done)) as scope:
                try:
                    found = await self._ask(sentinel)
                except OSError as exc:
                    failures.append(f"{_shown(sentinel)}: {exc}")
                    continue
            if scope.cancelled_caught:
                failures.append(f"{_shown(sentinel)}: no answer in time")
            elif found is None:
                failures.append(f"{_shown(sentinel)}: does not monitor it")
            else:
                if done:  # the one that answered is asked first next time
                    order.remove(sentinel)
                    order.insert(0, sentinel)
                return found
        msg = f"no sentinel named the master of {self._address.service!r} ({'; '.join(failures)})"
        raise OSError(msg)

    async def watch(
        self, connection: Connection, *, answer_within: float, retry_after: float
    ) -> NoReturn:
        """Make *connection* relocate whenever a sentinel says the master switched.

        Subscribed to ``+switch-master`` on the first sentinel that takes it
        within *answer_within* seconds; when that fails, on the next one, and after
        *retry_after* seconds once all have failed. Best effort: a sentinel
        that goes silent without closing the connection is not noticed (the
        store still finds the master on each new connection). Runs until
        cancelled (a task of the store's nursery).
        """
        while True:
            for sentinel in list(self._order):
                try:
                    await self._listen(sentinel, connection, answer_within)
                except OSError as exc:  # noqa: PERF203 (one per sentinel, rare)
                    logger.debug("sentinel %s: no longer listening: %s", _shown(sentinel), exc)
            await trio.sleep(retry_after)

    async def _listen(
        self, sentinel: tuple[str, int], connection: Connection, answer_within: float
    ) -> None:
        subscription: Connection | None = None
        with trio.move_on_after(answer_within):
            subscription, _ = await self._open(sentinel, b"SUBSCRIBE", b"+switch-master")
        if subscription is None:
            msg = "no answer in time"
            raise OSError(msg)
        try:
            while True:
                message = await subscription.receive()
                # ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
                if isinstance(message, list) and len(message) == 3 and message[0] == b"message":
                    words = message[2].split() if isinstance(message[2], bytes) else []
                    if words[:1] == [self._address.service.encode()]:
                        self.switches += 1
                        connection.relocate()
                        logger.info(
                            "the sentinels moved the master of %r to %s",
                            self._address.service,
                            b":".join(words[3:5]).decode(errors="replace")[:100],
                        )
        finally:
            await subscription.aclose()

    async def _ask(self, sentinel: tuple[str, int]) -> tuple[str, int] | None:
        """Ask one sentinel where the master is."""
        connection, reply = await self._open(
            sentinel, b"SENTINEL", b"get-master-addr-by-name", self._address.service
        )
        await connection.aclose()
        return _master(reply)

    async def _open(
        self, sentinel: tuple[str, int], *command: bytes | str
    ) -> tuple[Connection, Reply]:
        """A connection to *sentinel* that was sent *command*, and its reply.

        Without credentials first, with the URL's on ``NOAUTH``.
        """
        host, port = sentinel
        address = attrs.evolve(self._address, host=host, port=port, db=0, sentinels=(), service="")
        anonymous = attrs.evolve(address, username=None, password=None)
        for attempt in (anonymous, address):
            connection = Connection(attempt, self._ssl_context)
            try:
                reply = await connection.call(*command)
            except RedisReplyError as exc:
                await connection.aclose()
                if exc.code == "NOAUTH" and attempt is anonymous and address.password is not None:
                    continue
                msg = f"it answered {str(exc)[:200]!r}"
                raise OSError(msg) from None
            except BaseException:
                await connection.aclose()
                raise
            return connection, reply
        raise AssertionError  # pragma: no cover - the second attempt returns or raises


def _share(sentinels_left: int) -> float:
    """Seconds one sentinel may take: an equal share of the time the caller has left."""
    deadline = trio.current_effective_deadline()
    if math.isinf(deadline):
        return math.inf
    return max(0.0, (deadline - trio.current_time()) / sentinels_left)


def _shown(sentinel: tuple[str, int]) -> str:
    host, port = sentinel
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _master(reply: Reply) -> tuple[str, int] | None:
    """A sentinel's answer as (host, port); None when it does not know the service."""
    if reply is None:
        return None
    if isinstance(reply, list) and len(reply) == 2:
        host, port = reply
        if (
            isinstance(host, bytes)
            and host.isascii()
            and 0 < len(host) <= 255
            and isinstance(port, bytes)
            and port.isdigit()
            and 0 < int(port) < 65536
        ):
            return host.decode(), int(port)
    msg = f"a sentinel's answer that is not an address: {str(reply)[:80]}"
    raise RedisProtocolError(msg)
