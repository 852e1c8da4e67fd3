"""Tests of the incremental SSE parser (`trio_openai._convert._sse`)."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trio_openai._convert._sse import (
    DEFAULT_MAX_EVENT_SIZE,
    ServerSentEvent,
    SSEDecodeError,
    SSEDecoder,
    aiter_sse,
)

E = ServerSentEvent
_ROOT = Path(__file__).resolve().parents[2]


def parse(*chunks: bytes, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> list[E]:
    decoder = SSEDecoder(max_event_size=max_event_size)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    events += decoder.close()
    return events


def bytewise(raw: bytes) -> list[bytes]:
    return [raw[i : i + 1] for i in range(len(raw))]


# --- the spec's rules, one by one ---------------------------------------------


def test_one_data_line_is_one_message_event() -> None:
    """The usual OpenAI event: one `data:` line and a blank line."""
    assert parse(b'data: {"a": 1}\n\n') == [E("message", '{"a": 1}', None, None)]


def test_several_events_in_one_chunk() -> None:
    """Each blank line dispatches the event before it."""
    assert parse(b"data: a\n\ndata: b\n\ndata: [DONE]\n\n") == [
        E(data="a"),
        E(data="b"),
        E(data="[DONE]"),
    ]


def test_responses_api_events() -> None:
    """`event: ...` then `data: ...`, the Responses API's shape, gives typed events."""
    raw = (
        b'event: response.created\ndata: {"type":"response.created"}\n\n'
        b'event: response.output_text.delta\ndata: {"delta":"Hi"}\n\n'
        b"event: \ndata: x\n\n"
    )
    assert parse(raw) == [
        E("response.created", '{"type":"response.created"}'),
        E("response.output_text.delta", '{"delta":"Hi"}'),
        E("message", "x"),
    ]


def test_fields_from_an_earlier_chunk_apply_to_the_event() -> None:
    """Lines of an event that arrived in an earlier chunk are not forgotten."""
    assert parse(b"event: e\nretry: 5\n", b"data: x\n\ndata: y\n\n") == [
        E("e", "x", None, 5),
        E("message", "y"),
    ]
    assert parse(b"data: a\n", b"data: b\n\n") == [E(data="a\nb")]


def test_data_lines_join_with_newline() -> None:
    """Several `data` lines of one event are joined with LF."""
    assert parse(b"data: a\ndata: b\ndata:\ndata: c\n\n") == [E(data="a\nb\n\nc")]


@pytest.mark.parametrize(
    ("line", "data"),
    [
        (b"data: x", "x"),
        (b"data:x", "x"),
        (b"data:  x", " x"),
        (b"data: x ", "x "),
        (b"data:", ""),
        (b"data: ", ""),
        (b"data", ""),
        (b"data: a: b", "a: b"),
    ],
)
def test_one_space_after_the_colon_is_stripped(line: bytes, data: str) -> None:
    """Only the first space after the colon goes; no colon means an empty value."""
    assert parse(line + b"\n\n") == [E(data=data)]


def test_empty_data_field_still_dispatches() -> None:
    """`data:` alone puts LF in the data buffer, so the event is dispatched with data ""."""
    assert parse(b"data:\n\n") == [E(data="")]


def test_event_field_sets_the_type_for_one_event() -> None:
    """`event` names the type of the next dispatched event only."""
    raw = b"event: response.created\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"
    assert [(e.event, e.data) for e in parse(raw)] == [
        ("response.created", "1"),
        ("message", "2"),
        ("message", "3"),
    ]


def test_blank_line_without_data_dispatches_nothing_and_resets_the_type() -> None:
    """A block with no `data` line is dropped, and its event type and retry with it."""
    raw = b"event: ignored\nretry: 10\n\ndata: x\n\n"
    assert parse(raw) == [E("message", "x", None, None)]


def test_comments_are_ignored() -> None:
    """Lines starting with ':' are comments, even inside an event."""
    raw = b": keep-alive\n\ndata: a\n: in between\ndata: b\n\n:\n\n"
    assert parse(raw) == [E(data="a\nb")]


def test_unknown_fields_are_ignored() -> None:
    """Fields other than data/event/id/retry change nothing."""
    raw = b"foo: bar\nDATA: no\ndata : no\nevent2: x\ndata: yes\n\n"
    assert parse(raw) == [E(data="yes")]


def test_last_event_id_persists_across_events() -> None:
    """The id sticks until the server sets another one (an empty id clears it to '')."""
    raw = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid\ndata: d\n\n"
    assert [e.id for e in parse(raw)] == ["1", "1", "2", ""]


def test_id_containing_nul_is_ignored() -> None:
    """An id with a NUL character does not change the last event id."""
    assert parse(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")[1].id == "1"


@pytest.mark.parametrize(
    ("value", "retry"),
    [
        (b"3000", 3000),
        (b"0", 0),
        (b"012", 12),
        (b"12a", None),
        (b"-1", None),
        (b"1.5", None),
        (b"", None),
        (b" 5", None),
        ("\u0663".encode(), None),  # ARABIC-INDIC DIGIT THREE: a digit, but not ASCII
    ],
)
def test_retry_takes_ascii_digits_only(value: bytes, retry: int | None) -> None:
    """`retry` is applied only when its value is ASCII digits."""
    assert parse(b"retry: " + value + b"\ndata: x\n\n") == [E(data="x", retry=retry)]


def test_retry_belongs_to_the_event_it_came_with() -> None:
    """The next event does not repeat an earlier retry value."""
    assert [e.retry for e in parse(b"retry: 5\ndata: a\n\ndata: b\n\n")] == [5, None]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_is_accepted(ending: bytes) -> None:
    """LF, CRLF and CR all end a line."""
    raw = ending.join([b"event: e", b"data: a", b"data: b", b"", b"data: c", b"", b""])
    assert parse(raw) == [E("e", "a\nb"), E(data="c")]


def test_mixed_line_endings() -> None:
    """Line endings can change from one line to the next."""
    assert parse(b"data: a\r\ndata: b\rdata: c\n\r\n") == [E(data="a\nb\nc")]


def test_cr_then_lf_in_the_next_chunk_is_one_line_end() -> None:
    """A CRLF split across chunks must not count as a blank line."""
    assert parse(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [E(data="a\nb")]


def test_cr_then_cr_in_the_next_chunk_is_two_line_ends() -> None:
    """CR at a chunk's end, then CR: the second one ends a blank line."""
    assert parse(b"data: a\r", b"\rdata: b\r\r") == [E(data="a"), E(data="b")]


def test_a_leading_bom_is_dropped() -> None:
    """A UTF-8 BOM before the first line is not part of the first field name."""
    assert parse(b"\xef\xbb\xbfdata: a\n\n") == [E(data="a")]


def test_a_bom_split_across_chunks_is_dropped() -> None:
    """The BOM is recognised even when its three bytes arrive one at a time."""
    assert parse(b"\xef", b"\xbb", b"\xbf", b"data: a\n\n") == [E(data="a")]


def test_only_one_bom_is_dropped() -> None:
    """A second BOM makes the first line an unknown field (`\\ufeffdata`)."""
    assert parse(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n") == [E(data="b")]


def test_a_bom_later_in_the_stream_is_data() -> None:
    """Only the very start of the stream is checked for a BOM."""
    assert parse(b"data: \xef\xbb\xbfa\n\n") == [E(data="\ufeffa")]


def test_a_stream_that_is_only_part_of_a_bom() -> None:
    """Bytes held while deciding about the BOM count as pending."""
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef\xbb") == []
    assert decoder.pending
    assert decoder.close() == []


def test_multibyte_character_split_across_chunks() -> None:
    """A UTF-8 character cut between chunks is decoded once the line is complete."""
    raw = "data: h\u00e9llo \u20ac \U0001f600\n\n".encode()
    assert parse(*bytewise(raw)) == [E(data="h\u00e9llo \u20ac \U0001f600")]


def test_feeding_byte_by_byte_gives_the_same_events() -> None:
    """Splitting anywhere, even inside 'data:', changes nothing."""
    raw = b"event: e\r\nid: 7\r\ndata: a\r\n\r\n: c\rdata:b\r\rdata: c\n\n"
    assert (
        parse(*bytewise(raw))
        == parse(raw)
        == [E("e", "a", "7"), E("message", "b", "7"), E("message", "c", "7")]
    )


def test_empty_chunks_are_harmless() -> None:
    """An empty chunk does not end a line or lose a pending CR."""
    assert parse(b"", b"data: a\r", b"", b"\n", b"", b"\n") == [E(data="a")]


# --- end of stream ----------------------------------------------------------------


def test_an_event_without_its_blank_line_is_not_dispatched() -> None:
    """At the end of the stream the pending event is dropped and `pending` says so."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [E(data="a")]
    assert decoder.pending
    assert decoder.close() == []
    assert decoder.pending


@pytest.mark.parametrize(
    ("raw", "pending"),
    [
        (b"", False),
        (b"data: a\n\n", False),
        (b"data: a\r\n\r\n", False),
        (b"data: a\n\n: trailing comment\n", False),
        (b"data: a\n\n\n\n", False),
        (b"data: a", True),
        (b"data: a\n", True),
        (b"data: a\n\nevent: x\n", True),
        (b"data: a\n\nid: 3\n", True),
        (b"data: a\n\nretry: 3\n", True),
        (b"data: a\n\n: partial comme", True),
    ],
)
def test_pending_says_whether_the_stream_stopped_inside_an_event(raw: bytes, pending: bool) -> None:
    """`pending` is true exactly when the stream did not end at an event boundary."""
    decoder = SSEDecoder()
    decoder.feed(raw)
    decoder.close()
    assert decoder.pending is pending


def test_feed_after_close_is_an_error() -> None:
    """A closed decoder refuses more input; closing twice is fine."""
    decoder = SSEDecoder()
    decoder.close()
    assert decoder.close() == []
    with pytest.raises(RuntimeError, match="after close"):
        decoder.feed(b"data: a\n\n")


# --- limits and errors -------------------------------------------------------------


def test_event_over_the_size_bound_raises_naming_the_limit() -> None:
    """An event larger than max_event_size is refused with a message naming the limit."""
    with pytest.raises(SSEDecodeError, match="max_event_size=100 bytes"):
        parse(b"data: " + b"x" * 200 + b"\n\n", max_event_size=100)


def test_size_bound_counts_all_lines_of_one_event() -> None:
    """Many small data lines of one event add up."""
    raw = b"data: 0123456789\n" * 20 + b"\n"
    with pytest.raises(SSEDecodeError):
        parse(raw, max_event_size=300)
    assert parse(raw, max_event_size=320)[0].data.count("\n") == 19


def test_size_bound_applies_to_each_event_not_the_stream() -> None:
    """A long stream of small events never trips the bound."""
    raw = b"data: 0123456789\n\n" * 1000
    assert len(parse(raw, max_event_size=16)) == 1000


def test_size_bound_stops_a_line_that_never_ends() -> None:
    """A line growing chunk after chunk raises before it is complete: memory stays bounded."""
    decoder = SSEDecoder(max_event_size=1000)
    decoder.feed(b"data: ")
    fed = 0
    with pytest.raises(SSEDecodeError):  # noqa: PT012 - the error comes from one of many feeds
        for _ in range(100):
            fed += 1
            decoder.feed(b"x" * 100)
    assert fed == 10, "raised as soon as the pending line passed the bound"


def test_events_before_an_error_are_returned_and_the_error_comes_next() -> None:
    """Events completed before the bad part of a chunk are not lost."""
    decoder = SSEDecoder(max_event_size=50)
    events = decoder.feed(b"data: a\n\ndata: b\n\ndata: " + b"x" * 100 + b"\n\n")
    assert events == [E(data="a"), E(data="b")]
    with pytest.raises(SSEDecodeError):
        decoder.close()
    with pytest.raises(SSEDecodeError):  # and it stays broken
        decoder.feed(b"data: c\n\n")


def test_max_event_size_must_be_positive() -> None:
    """A zero or negative bound is a programming error."""
    with pytest.raises(ValueError, match="positive"):
        SSEDecoder(max_event_size=0)


@pytest.mark.parametrize(
    "raw",
    [
        b"data: \xff\n\n",
        b"data: ok\ndata: \xc3\n\n",
        b"event: \xe2\x82\n\ndata: x\n\n",
        b": comment \x80\n",
        b"id: \xed\xa0\x80\n",  # an encoded surrogate is not valid UTF-8
        b"retry: \xff\n",
        b"\xfffield: x\n",
    ],
)
def test_invalid_utf8_raises(raw: bytes) -> None:
    """Invalid UTF-8 in any complete line is an error, not a silent U+FFFD."""
    with pytest.raises(SSEDecodeError, match="not valid UTF-8"):
        parse(raw)
    with pytest.raises(SSEDecodeError, match="not valid UTF-8"):
        parse(*bytewise(raw))


def test_sse_decode_error_is_a_value_error() -> None:
    """Callers that do not know our class can still catch ValueError."""
    assert issubclass(SSEDecodeError, ValueError)


# --- the event type ---------------------------------------------------------------


def test_server_sent_event_is_immutable_with_defaults() -> None:
    """Events are frozen, slotted and default to a 'message' with no id or retry."""
    event = ServerSentEvent(data="x")
    assert (event.event, event.data, event.id, event.retry) == ("message", "x", None, None)
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]
    assert not hasattr(event, "__dict__")


# --- aiter_sse ---------------------------------------------------------------------


async def _chunks(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


@pytest.mark.trio
async def test_aiter_sse_yields_events_across_chunks() -> None:
    """The async helper parses chunks as they come and drops a truncated last event."""
    events = [
        event async for event in aiter_sse(_chunks(b"data: a\n", b"\ndata:", b" b\n\ndata: c\n"))
    ]
    assert events == [E(data="a"), E(data="b")]


@pytest.mark.trio
async def test_aiter_sse_passes_the_size_bound() -> None:
    """`max_event_size` reaches the decoder."""
    with pytest.raises(SSEDecodeError):
        async for _ in aiter_sse(_chunks(b"data: " + b"x" * 100 + b"\n\n"), max_event_size=10):
            pass


def test_importing_the_module_does_not_import_trio_or_httpx2() -> None:
    """`_sse` itself imports neither trio nor httpx2 (whatever the package's __init__ does)."""
    code = (
        "import sys, trio_openai\n"
        "before = {m for m in ('trio', 'httpx2') if m in sys.modules}\n"
        "import trio_openai._convert._sse\n"
        "print(sorted({m for m in ('trio', 'httpx2') if m in sys.modules} - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_ROOT
    )
    assert result.stdout.strip() == "[]"


# --- properties --------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
_NAME = st.sampled_from(["data", "event", "id", "retry", "foo", "Data", "data ", "\u00e9v"])


@st.composite
def _lines(draw: st.DrawFn) -> str:
    """One rendered line of an event stream (no line end)."""
    kind = draw(st.sampled_from(["data", "data", "data", "field", "comment", "blank", "blank"]))
    if kind == "blank":
        return ""
    if kind == "comment":
        return ":" + draw(_TEXT)
    name = "data" if kind == "data" else draw(_NAME)
    if name == "retry" and draw(st.booleans()):
        value = draw(st.from_regex(r"[0-9]{1,7}", fullmatch=True))
    elif name == "id" and draw(st.booleans()):
        value = draw(_TEXT) + "\0"
    else:
        value = draw(_TEXT)
    if value == "" and draw(st.booleans()):
        return name  # a field without a colon
    space = " " if value.startswith(" ") or draw(st.booleans()) else ""
    return f"{name}:{space}{value}"


@st.composite
def _streams(draw: st.DrawFn) -> tuple[bytes, list[str], bool]:
    """A stream as bytes, its lines (without line ends) and whether its last line is cut."""
    lines = draw(st.lists(_lines(), max_size=30))
    parts: list[str] = []
    previous_end = ""
    for line in lines:
        end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        if previous_end == "\r" and line == "" and end == "\n":
            end = "\r\n"  # CR + LF would be read as one line end, not a blank line
        parts += [line, end]
        previous_end = end
    unterminated = draw(st.one_of(st.just(""), _lines()))
    parts.append(unterminated)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + "".join(parts)).encode(), lines, unterminated != ""


def _reference(lines: Sequence[str]) -> list[tuple[int, E | None]]:
    """The spec's reading of complete lines, as blocks: (bytes of its lines, event or None).

    A block ends at a blank line (or at the end of *lines*); the size is what
    the decoder counts against ``max_event_size``.
    """
    blocks: list[tuple[int, E | None]] = []
    data: list[str] = []
    event_type = ""
    last_id: str | None = None
    retry: int | None = None
    size = 0
    for line in lines:
        if not line:
            event = E(event_type or "message", "\n".join(data), last_id, retry) if data else None
            blocks.append((size, event))
            data, event_type, retry, size = [], "", None, 0
            continue
        size += len(line.encode())
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and re.fullmatch("[0-9]+", value):
            retry = int(value)
    blocks.append((size, None))
    return blocks


def _events(blocks: Sequence[tuple[int, E | None]]) -> list[E]:
    return [event for _, event in blocks if event is not None]


def _split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(set(cuts)), len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(points)]


def _run(chunks: Sequence[bytes], max_event_size: int) -> tuple[list[E], bool, bool]:
    """Events delivered, whether an error was raised, and `pending` at the end."""
    decoder = SSEDecoder(max_event_size=max_event_size)
    events: list[E] = []
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        events += decoder.close()
    except SSEDecodeError:
        return events, True, decoder.pending
    return events, False, decoder.pending


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(stream=_streams(), data=st.data())
def test_property_any_chunking_gives_the_spec_events(
    stream: tuple[bytes, list[str], bool], data: st.DataObject
) -> None:
    """Random streams, cut at random points, give the events the spec defines."""
    raw, lines, unterminated = stream
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20))
    expected = _events(_reference(lines))
    whole = _run([raw], DEFAULT_MAX_EVENT_SIZE)
    assert whole == (expected, False, whole[2])
    assert _run(_split(raw, cuts), DEFAULT_MAX_EVENT_SIZE) == whole
    assert _run(bytewise(raw), DEFAULT_MAX_EVENT_SIZE) == whole
    if unterminated:
        assert whole[2], "a cut last line leaves the decoder pending"


@_SETTINGS
@given(stream=_streams(), limit=st.integers(1, 80), data=st.data())
def test_property_size_bound_is_independent_of_chunking(
    stream: tuple[bytes, list[str], bool], limit: int, data: st.DataObject
) -> None:
    """The bound trips exactly when some event's lines exceed it, wherever chunks are cut.

    The events before the oversized one are all delivered first.
    """
    raw, lines, unterminated = stream
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20))
    # A cut last line counts too: its bytes are buffered.
    blocks = _reference([*lines, _last_line(raw)] if unterminated else lines)
    over = next((i for i, (size, _) in enumerate(blocks) if size > limit), None)
    whole = _run([raw], limit)
    assert whole[1] is (over is not None)
    assert whole[0] == _events(blocks[:over])
    assert _run(_split(raw, cuts), limit)[:2] == whole[:2]


def _last_line(raw: bytes) -> str:
    text = raw.decode().removeprefix("\ufeff")
    return re.split("\r\n|\r|\n", text)[-1]


_NOISY = st.lists(
    st.sampled_from(
        [
            b"data",
            b": ",
            b":",
            b"\n",
            b"\r",
            b"\r\n",
            b"event",
            b"id",
            b"retry",
            b"x",
            b"7",
            b"\xef\xbb\xbf",
            b"\xff",
            b"\xe2\x82",
            b"\xac",
            b"\x00",
        ]
    ),
    max_size=40,
).map(b"".join)


@_SETTINGS
@given(raw=_NOISY, limit=st.integers(1, 60), data=st.data())
def test_property_arbitrary_bytes_chunking_never_matters(
    raw: bytes, limit: int, data: st.DataObject
) -> None:
    """Even for junk (invalid UTF-8, stray CRs, BOMs), chunking never changes the outcome."""
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20))
    whole = _run([raw], limit)
    split = _run(_split(raw, cuts), limit)
    assert split[:2] == whole[:2]
    if not whole[1]:
        assert split == whole
