"""The wire to a Redis or Valkey server: RESP2 over one trio stream, for the store's commands.

`RedisStore` (``_store.py``) sends a handful of commands (``EVALSHA`` of its one
script, ``EVAL`` and ``SCRIPT LOAD``, ``SET``, ``PTTL``, ``AUTH``/``SELECT``/``ROLE``
when it connects, and ``SENTINEL``/``SUBSCRIBE`` to sentinels). This module is
all it needs of a Redis client: a `Connection` that encodes a command, writes
it, and reads its reply, on the trio stream of a TCP, TLS or Unix socket (and
`_sentinel.py` finds the master behind Redis Sentinel).

Design decisions, stated once:

- Our own wire, not a client library: a general client pays for what the store
  never uses. Measured here: a round trip through coredis 6.9 costs 190-290 µs
  of client CPU (its writer and reader tasks on anyio, retry wrappers, request
  objects), valkey-glide 2.6 under trio 200-240 µs, a ``PING`` on this wire
  20-60 µs (the machine's load moves it). The store's CPU target per call is
  100 µs. RESP2 for a few commands is small, and has been stable since Redis
  1.2; Redis 7 and Valkey 7-9 speak it by default.
- One connection per store, one command at a time on it (a lock): a process has
  at most one admission in flight per endpoint, and the breaker's reads and
  writes are rare. A command interrupted half way (cancelled, timed out, a
  broken socket, a reply we cannot read) leaves the connection in an unknown
  state: it is closed, and the next command opens a new one.
- The fewest trips through trio's scheduler: on a plain TCP or Unix socket the
  command is written with one non-blocking ``send`` (no checkpoint: the wait
  for the reply is one), and the reply read after one ``wait_readable``; the
  connection is made by trio (``open_tcp_stream``: name resolution, happy
  eyeballs) and its socket then used directly (`_Socket`). A round trip is one
  pass of the scheduler instead of two or three through a ``SocketStream``.
  TLS goes through ``trio.SSLStream``.
- Every size from the network is bounded: a reply line (`MAX_LINE`), a bulk
  string (`MAX_BULK`), an array (`MAX_ITEMS`, `MAX_DEPTH`) and the whole reply
  (`MAX_REPLY`); a reply over a bound is a `RedisProtocolError`, and the
  connection is closed.
- Failures are ``OSError``: `RedisProtocolError` for what the server sent and
  cannot be read, ``OSError`` for a socket that would not connect or broke;
  `RedisReplyError` (not an ``OSError``) is an error reply (``-ERR ...``), which
  the caller may act on (``NOSCRIPT``: send the script itself).
- The password is a `Secret` from the URL's parse on: never in a repr, a log
  line or an error message (`RedisAddress.display` is the URL without it). The
  ``AUTH`` command is encoded and sent by one function whose failure is raised
  outside the frame that held it, so that a traceback with locals does not
  show it.
- Redis Cluster: the store's keys of one endpoint share a hash tag, so they
  live in one slot, and a ``MOVED`` answer moves the connection to the node
  that owns it (the node of the last endpoint asked: a store serving endpoints
  on several nodes moves between them). While a slot is being migrated, a
  command on several keys (the admission script) cannot run on either node
  unless all its keys are on one (``TRYAGAIN``, or ``ASK`` and then
  ``TRYAGAIN`` on the other), and some of the store's keys exist only at
  times: the command is sent again after a pause, until the migration ends
  (for the few keys of one endpoint, milliseconds) and the node says
  ``MOVED``; the store's ``timeout`` bounds the wait.
- Redis Sentinel: a ``+sentinel`` URL names the sentinels, and a connection
  asks them where the master is before it connects (``locate``, from
  `_sentinel.py`), checks that the node is a master (``ROLE``), and leaves one
  that answers ``READONLY`` for the one the sentinels name next.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Protocol, TypeAlias, final
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
import trio

from .._secrets import Secret

__all__ = [
    "MAX_BULK",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_LINE",
    "MAX_REDIRECTS",
    "MAX_REPLY",
    "Connection",
    "RedisAddress",
    "RedisProtocolError",
    "RedisReplyError",
    "Reply",
    "acquire_uncontended",
    "bulk_numbers",
    "bulk_strings",
    "encode",
    "parse_redis_url",
]

MAX_LINE: Final = 64 * 1024
"""The longest reply line (a status, an error, a length) we read, in bytes."""
MAX_BULK: Final = 1024 * 1024
"""The longest bulk string we read, in bytes (the store's replies are a few bytes)."""
MAX_ITEMS: Final = 65_536
"""The most elements of one array reply."""
MAX_DEPTH: Final = 8
"""The deepest nesting of array replies."""
MAX_REPLY: Final = 4 * 1024 * 1024
"""The most bytes buffered for one reply."""
MAX_REDIRECTS: Final = 5
"""The most Redis Cluster redirections (``MOVED``, ``ASK``, ``TRYAGAIN``) for one command."""
_MIGRATING: Final = frozenset({"ASK", "TRYAGAIN"})
_MIGRATION_PAUSE: Final = 0.01
"""Seconds before the first resend of a command whose slot is being migrated (then doubling)."""

_DEFAULT_PORT: Final = 6379
_SENTINEL_PORT: Final = 26379
_TCP: Final = {"redis": False, "valkey": False, "rediss": True, "valkeys": True}
_SENTINEL: Final = {f"{scheme}+sentinel": tls for scheme, tls in _TCP.items()}
_RECEIVE: Final = 65_536
_COLON: Final = ord(":")

Reply: TypeAlias = "bytes | int | list[Reply] | None"
"""A decoded reply: a bulk or status string, an integer, a null, or an array of replies."""
Argument: TypeAlias = "bytes | str | int | float"


class RedisProtocolError(OSError):
    """The server sent something that is not a RESP2 reply we can read, or is too large."""


class RedisReplyError(Exception):
    """An error reply from the server (``-ERR ...``, ``-NOSCRIPT ...``, ``-WRONGPASS ...``).

    Attributes:
        code: Its first word (``"ERR"``, ``"NOSCRIPT"``, ``"MOVED"``, ...).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = message.split(" ", 1)[0]


class _Incomplete(Exception):  # noqa: N818 (a signal, not an error)
    """The buffer does not hold a whole reply yet."""


@final
@attrs.frozen(kw_only=True)
class RedisAddress:
    """Where a server is and how to log in, parsed from its URL.

    Attributes:
        host: The host name or address (TCP and TLS).
        port: The TCP port.
        path: The socket's path (Unix sockets), else ``None``.
        tls: Whether the connection is TLS (``rediss://``, ``valkeys://``).
        db: The database number (``SELECT``), 0 by default.
        username: The ACL user, or ``None``.
        password: The password, or ``None``.
        display: The URL without its password, for messages and reprs.
        sentinels: With Redis Sentinel, the sentinels' (host, port), in the
            URL's order; the master's *host* and *port* are then found by
            asking them (`_sentinel.py`). Empty otherwise.
        service: With Redis Sentinel, the name the sentinels monitor the master under.
    """

    host: str = ""
    port: int = _DEFAULT_PORT
    path: str | None = None
    tls: bool = False
    db: int = 0
    username: str | None = None
    password: Secret | None = attrs.field(default=None, repr=False)
    display: str = ""
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = ""


def _redacted(scheme: str, username: str | None, password: bool, rest: str) -> str:
    user = "" if username is None else username
    if password:
        user += ":<redacted>"
    return f"{scheme}://{user}@{rest}" if user else f"{scheme}://{rest}"


def parse_redis_url(url: str) -> RedisAddress:
    """Parse ``redis://[[user]:password@]host[:port][/db]`` (or ``rediss://``, ``unix://``).

    ``valkey://`` and ``valkeys://`` mean ``redis://`` and ``rediss://``. A Unix
    socket is ``unix://[[user]:password@]/path/to/socket[?db=N]``; ``?db=N`` is
    accepted on any URL. Redis Sentinel is
    ``redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db]``
    (``rediss+sentinel://``, ``valkey+sentinel://``, ``valkeys+sentinel://``):
    the sentinels (port 26379 by default) and the name of the master they
    monitor; the credentials and TLS are the master's (and the sentinels', see
    `_sentinel.py`).

    Raises:
        ValueError: The URL is malformed or names an unsupported scheme or
            option; the message shows it without its password.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # (the URL is not shown: it may hold the password)
        msg = f"RedisStore URL: malformed ({exc})"
        raise ValueError(msg) from None
    scheme = parts.scheme.lower()
    has_password = parts.password is not None
    hostport = parts.netloc.rsplit("@", 1)[-1]
    display = _redacted(scheme, parts.username, has_password, hostport + parts.path)
    if parts.query:
        display += "?" + parts.query

    def bad(why: str) -> ValueError:
        return ValueError(f"RedisStore URL {display!r}: {why}")

    db_text = _checked_options(scheme, parts.query, bad)
    service, path_db = "", ""
    if scheme in _SENTINEL:
        service, _, path_db = unquote(parts.path).lstrip("/").partition("/")
        if not service:
            raise bad("a sentinel URL names the master's service: redis+sentinel://host/service")
    elif scheme != "unix":
        path_db = parts.path.lstrip("/")
    if path_db and db_text:
        raise bad("the database is given twice (path and db=)")
    db = _database(path_db or db_text, bad)
    username = unquote(parts.username) if parts.username else None
    password = Secret(unquote(parts.password)) if parts.password is not None else None
    if service:
        return RedisAddress(
            port=0,
            tls=_SENTINEL[scheme],
            db=db,
            username=username,
            password=password,
            display=display,
            sentinels=tuple(_host_port(item, bad) for item in hostport.split(",")),
            service=service,
        )
    if scheme == "unix":
        if not parts.path:
            raise bad("a unix:// URL needs the socket's path")
        return RedisAddress(
            path=unquote(parts.path), db=db, username=username, password=password, display=display
        )
    try:
        port = parts.port or _DEFAULT_PORT
    except ValueError:
        raise bad("the port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise bad("it names no host")
    return RedisAddress(
        host=parts.hostname,
        port=port,
        tls=_TCP[scheme],
        db=db,
        username=username,
        password=password,
        display=display,
    )


def _checked_options(scheme: str, query: str, bad: Callable[[str], ValueError]) -> str:
    """Refuse an unknown scheme or option; the ``db=`` option's text (``""``: none)."""
    if scheme != "unix" and scheme not in _TCP and scheme not in _SENTINEL:
        raise bad(
            "the scheme must be redis://, rediss://, valkey://, valkeys://, unix:// "
            "or one of them with +sentinel (redis+sentinel://host:26379/service)"
        )
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - {"db"})
    if unknown:
        raise bad(f"unsupported option(s) {', '.join(unknown)} (only db= is)")
    return options.get("db", [""])[-1]


def _database(text: str, bad: Callable[[str], ValueError]) -> int:
    try:
        db = int(text) if text else 0
    except ValueError:
        raise bad(f"the database must be a number, got {text!r}") from None
    if db < 0:
        raise bad("the database must not be negative")
    return db


def _host_port(text: str, bad: Callable[[str], ValueError]) -> tuple[str, int]:
    """``host[:port]`` or ``[v6 address][:port]`` of a sentinel (port 26379 by default)."""
    host, port_text = text, ""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise bad(f"sentinel {text!r} is not [address]:port")
        port_text = rest[1:]
    elif ":" in text:
        host, _, port_text = text.partition(":")
    if not host:
        raise bad(f"a sentinel with no host ({text!r})")
    if not port_text:
        return host, _SENTINEL_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise bad(f"the port of sentinel {text!r} must be a number from 1 to 65535")
    return host, int(port_text)


def bulk_strings(args: Sequence[Argument]) -> bytes:
    """*args* as RESP2 bulk strings, one after the other (floats by ``repr``: exact)."""
    out = bytearray()
    for arg in args:
        # Numbers first: an admission's arguments are numbers, after its cached head.
        if isinstance(arg, float):
            data = repr(arg).encode()
        elif isinstance(arg, int):
            data = b"%d" % arg
        elif isinstance(arg, bytes):
            data = arg
        else:
            data = arg.encode()
        out += b"$%d\r\n" % len(data)
        out += data
        out += b"\r\n"
    return bytes(out)


def bulk_numbers(args: Sequence[int | float]) -> bytes:
    """*args*, all numbers, as RESP2 bulk strings (`bulk_strings`' result, faster).

    ``repr`` is exact for both: an int's digits, a float's shortest round trip.
    """
    return "".join([f"${len(text)}\r\n{text}\r\n" for text in map(repr, args)]).encode()


def encode(*args: Argument) -> bytes:
    """One command as a RESP2 array of bulk strings."""
    return b"*%d\r\n" % len(args) + bulk_strings(args)


def _line(buffer: bytearray, at: int) -> tuple[bytes, int]:
    end = buffer.find(b"\r\n", at, at + MAX_LINE + 2)
    if end < 0:
        if len(buffer) - at > MAX_LINE:
            msg = f"a reply line longer than {MAX_LINE} bytes"
            raise RedisProtocolError(msg)
        raise _Incomplete
    return bytes(buffer[at:end]), end + 2


def _length(text: bytes, limit: int, what: str) -> int:
    try:
        length = int(text)
    except ValueError:
        msg = f"a {what} length that is not a number: {text[:40]!r}"
        raise RedisProtocolError(msg) from None
    if length > limit:
        msg = f"a {what} of {length} (the limit is {limit})"
        raise RedisProtocolError(msg)
    return length


def parse(buffer: bytearray, at: int = 0, depth: int = 0) -> tuple[Reply | RedisReplyError, int]:
    """The reply that starts at *at*, and where it ends (``_Incomplete``: read more).

    An error reply is returned, not raised: the whole reply is read either way,
    so the connection stays in step with the server.
    """
    line, at = _line(buffer, at)
    kind, rest = line[:1], line[1:]
    if kind == b"$":
        length = _length(rest, MAX_BULK, "bulk string")
        if length < 0:
            return None, at
        end = at + length
        if len(buffer) < end + 2:
            raise _Incomplete
        if buffer[end : end + 2] != b"\r\n":
            msg = "a bulk string not followed by CRLF"
            raise RedisProtocolError(msg)
        return bytes(buffer[at:end]), end + 2
    if kind == b":":
        return _length(rest, 2**63, "integer"), at
    if kind == b"+":
        return rest, at
    if kind == b"-":
        return RedisReplyError(rest.decode("utf-8", "replace")), at
    if kind == b"*":
        return _array(buffer, at, depth, _length(rest, MAX_ITEMS, "array"))
    msg = f"a reply of unknown type {line[:40]!r}"
    raise RedisProtocolError(msg)


def _array(
    buffer: bytearray, at: int, depth: int, count: int
) -> tuple[Reply | RedisReplyError, int]:
    """The *count* replies of an array from *at* (see `parse`)."""
    if count < 0:
        return None, at
    if depth >= MAX_DEPTH:
        msg = f"arrays nested deeper than {MAX_DEPTH}"
        raise RedisProtocolError(msg)
    items: list[Reply] = []
    error: RedisReplyError | None = None
    size = len(buffer)
    for _ in range(count):
        # Integers inline (the store's replies are arrays of them); the rest, and
        # anything odd about an integer, through `parse`.
        if at < size and buffer[at] == _COLON:
            end = buffer.find(b"\r\n", at, at + 24)
            if end > at + 1:
                try:
                    items.append(int(buffer[at + 1 : end]))
                except ValueError:
                    pass
                else:
                    at = end + 2
                    continue
        item, at = parse(buffer, at, depth + 1)
        if isinstance(item, RedisReplyError):
            error = error or item
        else:
            items.append(item)
    # An error inside an array is the reply's (the store's replies hold none).
    return (items if error is None else error), at


def _broken(exc: BaseException) -> OSError:
    """*exc* (a broken trio stream, a failed TLS handshake) as an ``OSError`` that says why."""
    if isinstance(exc, OSError):
        return exc
    cause = exc.__cause__ or exc.__context__
    return OSError(str(exc) or (cause and str(cause)) or type(exc).__name__)


async def acquire_uncontended(lock: trio.Lock) -> None:
    """Take *lock*; when it is free, without the checkpoint of ``lock.acquire``.

    For a hot path whose next step is a checkpoint anyway: each pass of the
    scheduler costs CPU, and a free lock needs no wait.
    """
    if lock.locked():
        await lock.acquire()
    else:
        lock.acquire_nowait()


class _Wire(Protocol):
    """What a connection needs of its transport (a ``trio.abc.Stream`` is one)."""

    async def send_all(self, data: bytes | bytearray | memoryview) -> None: ...

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray: ...

    async def aclose(self) -> None: ...


@final
class _Socket:
    """A connected socket read and written directly (see the module docstring).

    Args:
        sock: A connected stdlib socket; this object owns it from now on.
    """

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)  # noqa: FBT003 (the stdlib's signature)
        self._sock = sock

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Write all of *data*: at once when the socket's buffer takes it (the usual case)."""
        sock = self._sock
        view = memoryview(data)
        while view:
            try:
                sent = sock.send(view)
            except BlockingIOError:
                sent = 0
            view = view[sent:]
            if view:
                await trio.lowlevel.wait_writable(sock)

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """The next bytes from the server (``b""``: it closed); always a checkpoint."""
        sock = self._sock
        while True:
            await trio.lowlevel.wait_readable(sock)
            try:
                return sock.recv(max_bytes or _RECEIVE)
            except BlockingIOError:
                continue

    async def aclose(self) -> None:
        """Close the socket (wakes any task waiting on it)."""
        if self._sock.fileno() >= 0:
            trio.lowlevel.notify_closing(self._sock)
            self._sock.close()
        await trio.lowlevel.checkpoint()


def _socket_of(stream: trio.SocketStream) -> _Socket:
    """The socket of a stream that trio connected, taken over as a `_Socket`."""
    trio_socket = stream.socket
    family = trio_socket.family
    fd = trio_socket.detach()
    return _Socket(socket.socket(family, socket.SOCK_STREAM, fileno=fd))


@final
class Connection:
    """One connection to the server, opened on first use and again after a failure.

    Args:
        address: Where the server is (`parse_redis_url`).
        ssl_context: The TLS context for ``rediss://`` (default: the system's
            trust store, verifying the host name).
        locate: Where the server is now, asked before each new connection
            (Redis Sentinel: `_sentinel.Sentinels.locate`). The node found must
            say it is a master (``ROLE``), and one that answers ``READONLY``
            (demoted by a failover) is left for the one located next.
    """

    def __init__(
        self,
        address: RedisAddress,
        ssl_context: ssl.SSLContext | None = None,
        *,
        locate: Callable[[], Awaitable[tuple[str, int]]] | None = None,
    ) -> None:
        self.address = address
        self._ssl_context = ssl_context
        self._locate = locate
        self._relocate = False
        self._stream: _Wire | None = None
        self._buffer = bytearray()
        self._lock = trio.Lock()
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._stream else "idle"
        return f"<Connection to {self.address.display} ({state})>"

    async def call(self, *args: Argument) -> Reply:
        """Send one command and return its reply.

        Raises:
            RedisReplyError: The server answered with an error.
            OSError: The connection could not be made, broke, or the reply could
                not be read (`RedisProtocolError`); the connection is closed.
            trio.Cancelled: As any trio call; the connection is then closed.
        """
        return await self.send(encode(*args))

    async def send(self, command: bytes) -> Reply:
        """Send one encoded command (`encode`) and return its reply (see `call`).

        A Redis Cluster node that does not own the command's keys answers
        ``MOVED slot host:port``: the connection moves to that node (for this
        and every later command) and sends again, up to `MAX_REDIRECTS` times.
        ``ASK`` or ``TRYAGAIN`` (the slot of the keys being migrated): the
        same command again after a pause (10 ms, doubling), until the slot has
        moved and the node answers ``MOVED``. With *locate*, a ``READONLY``
        answer (a master demoted by a failover) drops the connection and sends
        again to the node located next.
        """
        lock = self._lock
        await acquire_uncontended(lock)  # (the send and the read are checkpoints)
        try:
            for attempt in range(MAX_REDIRECTS + 1):
                reply = await self._round_trip(command)
                if not isinstance(reply, RedisReplyError):
                    break
                if reply.code == "MOVED":
                    await self._move(reply)
                elif reply.code in _MIGRATING and attempt < MAX_REDIRECTS:
                    await trio.sleep(_MIGRATION_PAUSE * 2**attempt)
                elif reply.code == "READONLY" and self._locate is not None:
                    await self._drop()
                else:
                    break
        finally:
            lock.release()
        if isinstance(reply, RedisReplyError):
            raise reply
        return reply

    def relocate(self) -> None:
        """Leave the current node before the next command (the master moved: *locate* again)."""
        self._relocate = True

    async def receive(self) -> Reply:
        """The next reply on the open connection, not asked for (a subscription's messages).

        Raises:
            RedisReplyError: The server sent an error.
            OSError: Not connected, the connection broke, or the reply could not be read.
        """
        stream = self._stream
        if stream is None:
            msg = "the connection is not open"
            raise OSError(msg)
        reply = await self._exchange(stream, None)
        if isinstance(reply, RedisReplyError):
            raise reply
        return reply

    async def _round_trip(self, command: bytes) -> Reply | RedisReplyError:
        if self._relocate:
            self._relocate = False
            await self._drop()
        stream = self._stream
        if stream is None:
            stream = await self._connect()
        return await self._exchange(stream, command)

    async def _exchange(self, stream: _Wire, command: bytes | None) -> Reply | RedisReplyError:
        """Send *command* (None: nothing) and read a reply; any failure drops the connection."""
        try:
            if command is not None:
                await stream.send_all(command)
            return await self._read(stream)
        except BaseException as exc:
            await self._drop()
            if isinstance(exc, (trio.BrokenResourceError, trio.ClosedResourceError)):
                raise _broken(exc) from exc
            raise

    async def _move(self, moved: RedisReplyError) -> None:
        """Follow ``MOVED <slot> <host>:<port>`` (the same credentials and TLS)."""
        words = str(moved).split()
        host, _, port = words[-1].rpartition(":") if len(words) == 3 else ("", "", "")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            msg = f"a MOVED answer that names no node: {str(moved)[:80]!r}"
            raise RedisProtocolError(msg)
        await self._drop()
        self.address = attrs.evolve(self.address, host=host.strip("[]"), port=int(port))

    async def aclose(self) -> None:
        """Close the connection; later calls fail."""
        self._closed = True
        await self._drop()

    async def _drop(self) -> None:
        stream, self._stream = self._stream, None
        self._buffer.clear()
        if stream is not None:
            await _close(stream)

    async def _read(self, stream: _Wire) -> Reply | RedisReplyError:
        buffer = self._buffer
        while True:
            if buffer:
                try:
                    reply, end = parse(buffer)
                except _Incomplete:
                    pass
                else:
                    del buffer[:end]
                    return reply
            if len(buffer) > MAX_REPLY:
                msg = f"a reply larger than {MAX_REPLY} bytes"
                raise RedisProtocolError(msg)
            data = await stream.receive_some(_RECEIVE)
            if not data:
                msg = "the server closed the connection"
                raise OSError(msg)
            buffer += data

    async def _connect(self) -> _Wire:
        if self._closed:
            msg = "the connection to the store is closed"
            raise OSError(msg)
        if self._locate is not None:
            host, port = await self._locate()
            self.address = attrs.evolve(self.address, host=host, port=port)
        address = self.address
        stream: _Wire
        try:
            if address.path is not None:
                stream = _socket_of(await trio.open_unix_socket(address.path))
            else:
                tcp = await trio.open_tcp_stream(address.host, address.port)
                if not address.tls:
                    stream = _socket_of(tcp)
                else:
                    stream = tcp
                    context = self._ssl_context or ssl.create_default_context()
                    tls = trio.SSLStream(tcp, context, server_hostname=address.host)
                    try:
                        await tls.do_handshake()
                    except BaseException:
                        await trio.aclose_forcefully(tcp)
                        raise
                    stream = tls
        except (trio.BrokenResourceError, ssl.SSLError) as exc:
            raise _broken(exc) from exc
        self._stream = stream
        try:
            await self._hello(stream)
            if self._locate is not None:
                await self._check_master(stream)
        except BaseException:
            await self._drop()
            raise
        return stream

    async def _hello(self, stream: _Wire) -> None:
        """Log in and select the database, on a new connection."""
        address = self.address
        if address.password is not None:
            failure = await _auth(self, stream)
            if failure is not None:
                # Raised here, in a frame that never held the password.
                raise failure
        if address.db:
            await stream.send_all(encode(b"SELECT", address.db))
            reply = await self._read(stream)
            if isinstance(reply, RedisReplyError):
                msg = f"SELECT {address.db} failed: {reply}"
                raise OSError(msg)

    async def _check_master(self, stream: _Wire) -> None:
        """Refuse a located node that is not a master (``ROLE``): a failover under way.

        A user whose ACL does not allow ``ROLE`` (``NOPERM``) is taken at the
        sentinels' word.
        """
        await stream.send_all(encode(b"ROLE"))
        reply = await self._read(stream)
        if isinstance(reply, RedisReplyError) and reply.code == "NOPERM":
            return
        role = reply[0] if isinstance(reply, list) and reply else reply
        if role != b"master":
            address = self.address
            shown = role.decode(errors="replace")[:40] if isinstance(role, bytes) else repr(role)
            msg = (
                f"{address.host}:{address.port}, named as the master of "
                f"{address.service or 'the store'!r}, says its role is {shown!r} "
                "(a failover under way?)"
            )
            raise OSError(msg)


async def _close(stream: _Wire) -> None:
    """Close *stream* now, whatever the cancel scopes around (``trio.aclose_forcefully``)."""
    with trio.CancelScope() as scope:
        scope.cancel()
        await stream.aclose()


async def _auth(connection: Connection, stream: _Wire) -> OSError | None:
    """Send ``AUTH``; return the failure instead of raising it from this frame.

    The password is only ever in locals that are gone before anything is raised
    or returned, and trio's ``send_all`` sees it through a memoryview, whose repr
    does not show it, in case a cancel or a timeout unwinds through it.
    """
    address = connection.address
    password = address.password
    assert password is not None  # (the caller checked)
    credentials: Sequence[Argument] = (
        (password.get_secret_value(),)
        if address.username is None
        else (address.username, password.get_secret_value())
    )
    command = memoryview(encode(b"AUTH", *credentials))
    del credentials
    failure: OSError | None = None
    try:
        await stream.send_all(command)
        reply = await connection._read(stream)
    except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
        failure = OSError(f"AUTH could not be sent: {type(exc).__name__}")
    else:
        if isinstance(reply, RedisReplyError):
            failure = OSError(f"AUTH failed: {reply}")
    finally:
        del command
    return failure
