"""The replay machinery: recorded calls made through the client against a local server.

`replay` serves every recorded response from a real HTTP server on 127.0.0.1
(port 0, `tests._hostile.raw_server`), makes each recorded call through the
client method of its operation with the recorded arguments, and walks the
recorded body and the typed result in parallel (`tests.replay._walk.Walk`). Streams are sent in
uneven chunks (chunked transfer encoding, sizes from a generator seeded by the
case id, so a run is reproducible and a chunk often ends inside a line, an
escape or a UTF-8 sequence).

How a call is made (`call_arguments`): path parameters by the spec's names; body
fields and query parameters the typed signature has as keyword arguments, the
others through ``extra_body`` / ``extra_query``; multipart fields converted as the
signature types them, files as made-up bytes of the recorded size. The server
checks that each request it gets is the recorded one (method, path, query, JSON
body or form fields and file sizes) and answers with the recording.
"""

from __future__ import annotations

import email.parser
import email.policy
import functools
import inspect
import json
import random
import re
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs
import trio

import trio_openai
from tests._hostile import RawRequest, raw_server
from tests._realworld import Case, operation, path_parameters
from tests._support import resolve_method
from tests.replay._walk import Walk, canonical
from trio_openai.resources._operations import Operation

CASE_HEADER = "x-replay-case"

# -- how a call is made ---------------------------------------------------------------


def _convert_text(annotation: str, text: str) -> object:
    """A recorded query or form value (text) as the typed signature takes it."""
    if "bool" in annotation and text in ("true", "false"):
        return text == "true"
    if re.search(r"\bint\b", annotation) and re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.search(r"\bfloat\b", annotation) and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    return text


def method_name(case: Case, entry: Operation) -> str:
    """The dotted client method for *case*: the streaming twin when the request streamed."""
    if case.streamed and entry.stream is not None:
        return entry.stream
    return entry.python


def call_arguments(
    case: Case, entry: Operation, build: Any, not_sent: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The keyword arguments that make *case*'s request through the method built by *build*.

    A required argument the recording has no value for is passed as ``NOT_GIVEN``
    (left out of the request, as the recorded caller left it out) when it is in
    *not_sent*, or when the cassette did not record the request body (then it
    gets a placeholder: ``"<name>"``, or an empty file for a file argument).

    Raises:
        LookupError: The recorded request cannot be expressed through the method.
    """
    params = dict(list(inspect.signature(build).parameters.items())[1:])
    annotations = {name: str(p.annotation) for name, p in params.items()}
    # The streaming twin asks for the stream itself: `stream` is not passed to it.
    skip = {"stream"} if case.streamed and entry.stream is not None else set()
    kwargs: dict[str, Any] = {}
    for name, value in path_parameters(case, entry).items():
        if name not in params:
            msg = f"the path parameter {name} is no parameter of the method"
            raise LookupError(msg)
        kwargs[name] = value
    query = {k: v for k, v in case.query.items() if k not in skip}
    extra_query = _split(query, params, kwargs, lambda k, v: _convert_text(annotations[k], v))
    if case.request_json is not None and not isinstance(case.request_json, dict):
        msg = "the recorded body is JSON but not an object"
        raise LookupError(msg)
    body = {k: v for k, v in (case.request_json or {}).items() if k not in skip}
    extra_body = _split(body, params, kwargs, lambda _, v: v)
    if case.request_form is not None:
        kwargs.update(_form_arguments(case, case.request_form, annotations))
    if extra_query:
        kwargs["extra_query"] = extra_query
    if extra_body:
        kwargs["extra_body"] = extra_body
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in kwargs:
            kwargs[name] = _missing(case, entry, name, annotations[name], not_sent)
    return kwargs


def _split(
    values: dict[str, Any], params: dict[str, Any], kwargs: dict[str, Any], convert: Any
) -> dict[str, Any]:
    """Put the *values* the signature has into *kwargs* (converted); return the others."""
    extra = {}
    for name, value in values.items():
        if name in params and not name.startswith("extra_") and name not in kwargs:
            kwargs[name] = convert(name, value)
        else:
            extra[name] = value
    return extra


def _form_arguments(
    case: Case, form: dict[str, Any], annotations: dict[str, str]
) -> dict[str, Any]:
    """Multipart fields as the signature types them; files as bytes of the recorded size."""
    kwargs: dict[str, Any] = {}
    for name, value in form.get("fields", {}).items():
        text = isinstance(value, str)
        kwargs[name] = _convert_text(annotations.get(name, "str"), value) if text else value
    files: dict[str, list[tuple[str, bytes, str]]] = {}
    for field, part in form.get("files", {}).items():
        # `image[0]`, `image[1]`: one list argument (sent as `image[]`).
        name = re.sub(r"\[\d*\]$", "", field)
        content = b"x" * part["size"]
        files.setdefault(name, []).append((part["filename"], content, part["content_type"]))
    for name, parts in files.items():
        many = len(parts) > 1 or field_is_indexed(case, name)
        kwargs[name] = parts if many else parts[0]
    return kwargs


def _missing(
    case: Case, entry: Operation, name: str, annotation: str, not_sent: frozenset[str]
) -> object:
    """The value of a required argument the recording has none for (see `call_arguments`)."""
    if not case.request_recorded:
        file = "FileInput" in annotation
        return ("upload.bin", b"", "application/octet-stream") if file else f"<{name}>"
    if f"{entry.python}({name})" in not_sent:
        return trio_openai.NOT_GIVEN
    msg = f"the recording has no value for the required argument {name!r}"
    raise LookupError(msg)


def field_is_indexed(case: Case, name: str) -> bool:
    """Whether the recorded form sent file field *name* as a list (``name[0]``)."""
    return any(
        re.fullmatch(rf"{re.escape(name)}\[\d*\]", field)
        for field in (case.request_form or {}).get("files", {})
    )


# -- what the server checks -----------------------------------------------------------


def request_problem(case: Case, request: RawRequest) -> str | None:
    """How the request the server received differs from the recorded one, or None."""
    url = urlsplit(request.target)
    # The client quotes path parameters (`ft:123` as `ft%3A123`): the same path.
    if (request.method, unquote(url.path)) != (case.method, "/v1" + unquote(case.path)):
        return f"sent {request.method} {url.path}, recorded {case.method} /v1{case.path}"
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    if query != case.query:
        return f"sent the query {query}, recorded {case.query}"
    if not case.request_recorded:
        return None
    if case.request_form is not None:
        return _form_problem(case.request_form, request)
    return _json_problem(case.request_json, request.body)


def _json_problem(recorded: object, body: bytes) -> str | None:
    """How a JSON request body differs from the recorded one (``{}`` is as good as none)."""
    if recorded is None or (recorded == {} and not body):
        return None if not body else f"sent a body {body[:60]!r}, recorded none"
    try:
        sent = json.loads(body)
    except ValueError:
        return f"sent a body that is not JSON: {body[:60]!r}"
    if canonical(sent) != canonical(recorded):
        return f"sent the body {_difference(sent, recorded)}"
    return None


def _form_problem(form: dict[str, Any], request: RawRequest) -> str | None:
    head = f"content-type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        return "sent a body that is not multipart"
    fields: dict[str, object] = {}
    files: dict[str, tuple[str | None, int]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is None:
            text = payload.decode()
            # A JSON part (the realtime `session`) was recorded as its JSON value.
            json_part = part.get_content_type() == "application/json"
            fields[name] = json.loads(text) if json_part else text
        else:
            files[name] = (filename, len(payload))
    if fields != form.get("fields", {}):
        return f"sent the form fields {fields}, recorded {form.get('fields')}"
    recorded = {
        re.sub(r"\[\d+\]$", "[]", name): (part["filename"], part["size"])
        for name, part in form.get("files", {}).items()
    }
    sent_files = {re.sub(r"\[\d+\]$", "[]", name): value for name, value in files.items()}
    if len(sent_files) != len(files) or sorted(sent_files.values()) != sorted(recorded.values()):
        return f"sent the files {files}, recorded {recorded}"
    return None


def _difference(sent: object, recorded: object, path: str = "$") -> str:
    if isinstance(sent, dict) and isinstance(recorded, dict):
        for key in sorted(sent.keys() | recorded.keys()):
            if key not in sent:
                return f"without {path}.{key}"
            if key not in recorded:
                return f"with {path}.{key} = {sent[key]!r:.60}, not recorded"
            if canonical(sent[key]) != canonical(recorded[key]):
                return _difference(sent[key], recorded[key], f"{path}.{key}")
    if isinstance(sent, list) and isinstance(recorded, list) and len(sent) == len(recorded):
        for i, (a, b) in enumerate(zip(sent, recorded, strict=True)):
            if canonical(a) != canonical(b):
                return _difference(a, b, f"{path}[{i}]")
    return f"with {path} = {sent!r:.60}, recorded {recorded!r:.60}"


# -- how the server answers -----------------------------------------------------------

# Chunk sizes of a streamed body: mostly small (a chunk ends inside a line), some large.
_CHUNK_SIZES = (1, 2, 3, 5, 8, 13, 21, 64, 200, 700, 1500, 4096)
_CHUNK_WEIGHTS = (3, 3, 2, 2, 2, 2, 2, 3, 4, 4, 3, 2)


def uneven_chunks(case_id: str, content: bytes) -> Iterator[bytes]:
    """*content* cut into chunks of uneven sizes, the same for the same case every run."""
    rng = random.Random(case_id)
    start = 0
    while start < len(content):
        (size,) = rng.choices(_CHUNK_SIZES, _CHUNK_WEIGHTS)
        yield content[start : start + size]
        start += size


async def answer(case: Case, stream: trio.SocketStream) -> None:
    """Send *case*'s recorded response: a stream in uneven chunks, anything else whole."""
    reason = "OK" if case.status < 400 else "Error"
    head = [f"HTTP/1.1 {case.status} {reason}", "connection: close"]
    if case.content_type:
        head.append(f"content-type: {case.content_type}")
    if case.media_type == "text/event-stream":
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await stream.send_all(
            ("\r\n".join([*head, "transfer-encoding: chunked"]) + "\r\n\r\n").encode()
        )
        for piece in uneven_chunks(case.id, case.content):
            await stream.send_all(b"%x\r\n%s\r\n" % (len(piece), piece))
        await stream.send_all(b"0\r\n\r\n")
        return
    head.append(f"content-length: {len(case.content)}")
    await stream.send_all(("\r\n".join(head) + "\r\n\r\n").encode() + case.content)


# -- the replay -----------------------------------------------------------------------


@attrs.define
class Outcome:
    """What replaying the corpus did.

    Attributes:
        kinds: Cases by what was checked (``json``, ``page``, ``stream``, ``error``,
            ``binary``, ``text``) or why nothing was (``no operation``).
        events: Streamed events decoded and walked.
        failures: Case id -> what went wrong (a call that raised, a request that
            differs from the recording, a leaf that does not read back).
        walk: The walk's disagreement notes over every case.
    """

    kinds: Counter[str] = attrs.field(factory=Counter)
    events: int = 0
    failures: dict[str, str] = attrs.field(factory=dict)
    walk: Walk = attrs.field(factory=Walk)


def _method_and_arguments(
    client: Any, case: Case, entry: Operation, not_sent: frozenset[str]
) -> tuple[Any, dict[str, Any]]:
    """The client method for *case* (async or sync tree) and the arguments of its call."""
    node, name = resolve_method(client, method_name(case, entry))
    method = getattr(node, name)
    kwargs = call_arguments(case, entry, method._build, not_sent)
    kwargs["extra_headers"] = {CASE_HEADER: case.id}
    return method, kwargs


async def _replay_case(
    client: trio_openai.Client,
    case: Case,
    outcome: Outcome,
    received: dict[str, str | None],
    not_sent: frozenset[str],
) -> None:
    """Make *case*'s call and check what it gives back (into *outcome*)."""
    entry = operation(case)
    if entry is None:
        outcome.kinds["no operation"] += 1
        return
    outcome.walk.case_id = case.id
    before = len(outcome.walk.problems)
    try:
        method, kwargs = _method_and_arguments(client, case, entry, not_sent)
        kind = await _call(method(**kwargs), case, entry, outcome)
    except LookupError as exc:
        outcome.failures[case.id] = f"cannot be called: {exc}"
    except Exception as exc:
        outcome.failures[case.id] = f"raised {type(exc).__name__}: {exc}"[:400]
    else:
        _settle(case, kind, outcome, received, before)


def _replay_case_sync(
    client: trio_openai.SyncClient,
    case: Case,
    outcome: Outcome,
    received: dict[str, str | None],
    not_sent: frozenset[str],
) -> None:
    """`_replay_case` through the blocking tree of a `SyncClient`."""
    entry = operation(case)
    if entry is None:
        outcome.kinds["no operation"] += 1
        return
    outcome.walk.case_id = case.id
    before = len(outcome.walk.problems)
    try:
        method, kwargs = _method_and_arguments(client, case, entry, not_sent)
        # A blocking method makes its call at once (a stream: when entered).
        kind = _call_sync(functools.partial(method, **kwargs), case, entry, outcome)
    except LookupError as exc:
        outcome.failures[case.id] = f"cannot be called: {exc}"
    except Exception as exc:
        outcome.failures[case.id] = f"raised {type(exc).__name__}: {exc}"[:400]
    else:
        _settle(case, kind, outcome, received, before)


def _settle(
    case: Case, kind: str, outcome: Outcome, received: dict[str, str | None], before: int
) -> None:
    """Count a call that returned (or raised its recorded error), or record what is wrong."""
    problem = _verdict(case, kind, received, outcome.walk.problems[before:])
    if problem is None:
        outcome.kinds[kind] += 1
    else:
        outcome.failures[case.id] = problem


@attrs.define
class _Events:
    """The recorded events of a stream, checked one by one against those read back."""

    recorded: list[Any]
    walk: Walk
    count: int = 0

    def see(self, event: object) -> bool:
        """Walk the next event read back against the next recorded one; False: no more."""
        if self.count >= len(self.recorded):
            self.walk.problems.append(f"event {self.count}: not in the recording")
            return False
        where = f"event {self.count}"
        self.walk.walk(self.recorded[self.count], event, None, where, ("(stream)", "event"))
        self.count += 1
        return True

    def end(self, outcome: Outcome) -> str:
        """Check that every recorded event was read back; the kind of answer."""
        outcome.events += self.count
        if self.count != len(self.recorded):
            self.walk.problems.append(
                f"{self.count} events read back of {len(self.recorded)} recorded"
            )
        return "stream"


async def _call(call: Any, case: Case, entry: Operation, outcome: Outcome) -> str:
    """Await (or stream) the *call* and walk what it gives back; the kind of answer."""
    try:
        if not hasattr(call, "__aenter__"):
            return _check_result(case, await call, outcome.walk)
        events = _Events(_stream_events(case, entry), outcome.walk)
        async with call as stream:
            async for event in stream:
                if not events.see(event):
                    break
        return events.end(outcome)
    except trio_openai.APIError as exc:
        return _check_raised(case, exc, outcome.walk)


def _call_sync(make: Any, case: Case, entry: Operation, outcome: Outcome) -> str:
    """`_call` for the blocking tree: *make* makes the call (a value, or a stream to enter)."""
    try:
        call = make()
        if not hasattr(call, "__enter__"):
            return _check_result(case, call, outcome.walk)
        events = _Events(_stream_events(case, entry), outcome.walk)
        with call as stream:
            for event in stream:
                if not events.see(event):
                    break
        return events.end(outcome)
    except trio_openai.APIError as exc:
        return _check_raised(case, exc, outcome.walk)


def _check_raised(case: Case, exc: trio_openai.APIError, walk: Walk) -> str:
    """Check an error the call raised: the recorded error event or error answer.

    Raises:
        APIError: *exc* again, when it is neither (the case's failure).
    """
    if isinstance(exc, trio_openai.APIStreamError):
        walk.same(json.loads(_error_data(case)), exc.body, "error event")
        return "stream error"
    if isinstance(exc, trio_openai.APIStatusError):
        if exc.status_code != case.status:
            walk.problems.append(f"status {exc.status_code}, recorded {case.status}")
        _check_error(case, exc, walk)
        return "error"
    raise exc


def _verdict(
    case: Case, kind: str, received: dict[str, str | None], problems: list[str]
) -> str | None:
    """What is wrong with a call that returned (or raised the expected error), or None."""
    request = received.pop(case.id, "the server got no request")
    if request is not None:
        return f"request: {request}"
    if problems:
        return f"{len(problems)} leaves differ: {'; '.join(problems[:3])}"
    if kind != "error" and not 200 <= case.status < 300:
        return f"status {case.status} gave a result, not an error"
    return None


def _stream_events(case: Case, entry: Operation) -> list[Any]:
    """The recorded events as the stream's event type sees them (envelopes for runs)."""
    from trio_openai._convert._sse import SSEDecoder

    decoder = SSEDecoder()
    events = []
    for sse in [*decoder.feed(case.content), *decoder.close()]:
        if sse.data == "[DONE]":
            continue
        payload = json.loads(sse.data)
        events.append({"event": sse.event, "data": payload} if entry.envelope else payload)
    return events


def _error_data(case: Case) -> str:
    """The data of the recorded stream's error event."""
    from trio_openai._convert._sse import SSEDecoder

    decoder = SSEDecoder()
    for sse in [*decoder.feed(case.content), *decoder.close()]:
        if sse.data != "[DONE]":
            payload = json.loads(sse.data)
            if sse.event == "error" or payload.get("type") == "error" or payload.get("error"):
                return sse.data
    return "null"


def _check_result(case: Case, result: object, walk: Walk) -> str:
    """Walk a non-streamed result against the recorded body; the kind of result."""
    if isinstance(result, trio_openai.BinaryResponse | trio_openai.SyncBinaryResponse):
        if result.content != case.content:
            walk.problems.append(
                f"binary: {len(result.content)} bytes, recorded {len(case.content)}"
            )
        return "binary"
    if isinstance(result, str):
        if result != case.body:
            walk.problems.append(f"text: {result!r:.60}, recorded {case.body!r:.60}")
        return "text"
    data = json.loads(case.content) if case.content else None
    body = getattr(result, "body", None)
    if hasattr(result, "next_page") and body is not None:
        walk.walk(data, body, None, "$", ("(page)", "body"))
        items = data.get("data") if isinstance(data, dict) else None
        # `.data`, not iteration: a sync page's iteration fetches the next pages.
        if list(result.data) != list(getattr(body, "data", None) or items or []):  # type: ignore[attr-defined]
            walk.problems.append("page: its items are not the body's data")
        return "page"
    walk.walk(data, result, None, "$", ("(result)", "$"))
    return "json"


def _check_error(case: Case, exc: trio_openai.APIStatusError, walk: Walk) -> None:
    """The error's body is the recorded one, and its code, type and param read from it."""
    try:
        data = json.loads(case.content) if case.content else None
    except ValueError:
        data = case.body
    walk.same(data, exc.body, "error body")
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        for name in ("code", "type", "param"):
            value = error.get(name)
            expected = value if isinstance(value, str) else None
            if getattr(exc, name) != expected:
                walk.problems.append(f"error.{name}: {getattr(exc, name)!r}, recorded {value!r}")


async def replay(selected: list[Case], not_sent: frozenset[str] = frozenset()) -> Outcome:
    """Replay *selected* through one client against one local server.

    Args:
        selected: The cases, replayed in this order.
        not_sent: ``method(argument)`` names of required arguments that real
            callers do not send (see `call_arguments`).
    """
    by_id = {case.id: case for case in selected}
    received: dict[str, str | None] = {}
    outcome = Outcome()

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        case = by_id[request.headers[CASE_HEADER]]
        received[case.id] = request_problem(case, request)
        await answer(case, stream)

    async with raw_server(handler) as server:
        async with trio_openai.open_client(
            api_key="sk-replay-0000", base_url=server.url + "/v1", max_retries=0
        ) as client:
            for case in selected:
                await _replay_case(client, case, outcome, received, not_sent)
    return outcome


def replay_sync(selected: list[Case], not_sent: frozenset[str] = frozenset()) -> Outcome:
    """`replay` through a `SyncClient`, the server running in a Trio loop of its own thread."""
    by_id = {case.id: case for case in selected}
    received: dict[str, str | None] = {}
    outcome = Outcome()
    started = threading.Event()
    loop: dict[str, Any] = {}

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        case = by_id[request.headers[CASE_HEADER]]
        received[case.id] = request_problem(case, request)
        await answer(case, stream)

    async def serve() -> None:
        async with raw_server(handler) as server:
            loop.update(url=server.url, stop=trio.Event(), token=trio.lowlevel.current_trio_token())
            started.set()
            await loop["stop"].wait()

    thread = threading.Thread(target=trio.run, args=(serve,), daemon=True)
    thread.start()
    if not started.wait(timeout=30):  # the server thread died before it started
        msg = "the replay server did not start"
        raise RuntimeError(msg)
    try:
        with trio_openai.SyncClient(
            api_key="sk-replay-0000", base_url=loop["url"] + "/v1", max_retries=0
        ) as client:
            for case in selected:
                _replay_case_sync(client, case, outcome, received, not_sent)
    finally:
        trio.from_thread.run_sync(loop["stop"].set, trio_token=loop["token"])
        thread.join()
    return outcome
