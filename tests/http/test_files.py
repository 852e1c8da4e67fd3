"""Tests of multipart file inputs (`trio_openai._http._multipart`)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trio

from trio_openai._http._multipart import build_multipart, read_file_input
from trio_openai._types import NOT_GIVEN

_ROOT = Path(__file__).resolve().parents[2]


# --- each input form ---------------------------------------------------------------


@pytest.mark.trio
async def test_bytes_are_sent_as_upload() -> None:
    """Raw bytes have no name: they go as `upload`, application/octet-stream."""
    assert await read_file_input(b"abc", field="file") == (
        "upload",
        b"abc",
        "application/octet-stream",
    )


@pytest.mark.trio
async def test_name_and_content_tuple_guesses_the_type() -> None:
    """A (filename, bytes) tuple takes its content type from the extension."""
    assert await read_file_input(("speech.mp3", b"ID3"), field="file") == (
        "speech.mp3",
        b"ID3",
        "audio/mpeg",
    )


@pytest.mark.trio
async def test_name_content_type_tuple_keeps_the_given_type() -> None:
    """The third element wins over the guess."""
    assert await read_file_input(("data.bin", b"{}", "application/json"), field="file") == (
        "data.bin",
        b"{}",
        "application/json",
    )


@pytest.mark.trio
async def test_tuple_with_none_type_guesses() -> None:
    """A None content type means 'guess it'."""
    result = await read_file_input(("a.png", b"\x89PNG", None), field="image")
    assert result == ("a.png", b"\x89PNG", "image/png")


@pytest.mark.trio
async def test_tuple_with_no_filename_keeps_none() -> None:
    """(None, content, type) is a part without a file name, e.g. a JSON part."""
    assert await read_file_input((None, b"{}", "application/json"), field="session") == (
        None,
        b"{}",
        "application/json",
    )
    assert await read_file_input((None, b"x"), field="f") == (
        None,
        b"x",
        "application/octet-stream",
    )


@pytest.mark.trio
async def test_tuple_with_a_file_object() -> None:
    """The content of a tuple may be a binary file object."""
    result = await read_file_input(("notes.txt", io.BytesIO(b"hello")), field="file")
    assert result == ("notes.txt", b"hello", "text/plain")


@pytest.mark.trio
async def test_unknown_extension_is_octet_stream() -> None:
    """No guess means application/octet-stream."""
    result = await read_file_input(("blob.zzz-unknown", b"x"), field="file")
    assert result[2] == "application/octet-stream"


@pytest.mark.trio
async def test_open_binary_file_takes_its_name(tmp_path: Path) -> None:
    """An open file's `.name` gives the file name (its last component only)."""
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF")
    with path.open("rb") as handle:
        name, content, content_type = await read_file_input(handle, field="file")
    assert (name, content) == ("clip.wav", b"RIFF")
    assert content_type in {"audio/x-wav", "audio/wav"}  # depends on the system's mime.types


@pytest.mark.trio
async def test_bytesio_without_name_is_upload() -> None:
    """A file object with no `.name` is sent as `upload`."""
    assert await read_file_input(io.BytesIO(b"x"), field="file") == (
        "upload",
        b"x",
        "application/octet-stream",
    )


@pytest.mark.trio
async def test_file_object_with_a_pseudo_name_is_upload() -> None:
    """Names like '<stdin>' or a file descriptor number are not file names."""
    buffer = io.BytesIO(b"x")
    buffer.name = "<stdin>"
    assert (await read_file_input(buffer, field="file"))[0] == "upload"
    buffer.name = 3
    assert (await read_file_input(buffer, field="file"))[0] == "upload"


@pytest.mark.trio
async def test_file_object_is_read_from_its_position() -> None:
    """Like `read()`, reading starts at the current position."""
    buffer = io.BytesIO(b"skip:data")
    buffer.seek(5)
    assert (await read_file_input(buffer, field="file"))[1] == b"data"


@pytest.mark.trio
async def test_pathlib_path(tmp_path: Path) -> None:
    """A pathlib.Path is read, named and typed from its file name."""
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    name, content, _ = await read_file_input(path, field="file")
    assert (name, content) == ("batch.jsonl", b'{"a": 1}\n')


@pytest.mark.trio
async def test_trio_path(tmp_path: Path) -> None:
    """A trio.Path works like a pathlib.Path."""
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG")
    assert await read_file_input(trio.Path(path), field="image") == (
        "image.png",
        b"\x89PNG",
        "image/png",
    )


@pytest.mark.trio
async def test_bytearray_and_memoryview_are_bytes() -> None:
    """Other bytes-like values are accepted and copied to bytes."""
    assert (await read_file_input(bytearray(b"ab"), field="f"))[1] == b"ab"
    assert (await read_file_input(memoryview(b"ab"), field="f"))[1] == b"ab"


# --- errors --------------------------------------------------------------------------


@pytest.mark.trio
@pytest.mark.parametrize("value", [42, None, {"a": 1}, [b"x"], object()])
async def test_other_types_are_refused_naming_the_field_and_the_accepted_types(
    value: object,
) -> None:
    """Anything else is a TypeError that says which argument and what it accepts."""
    with pytest.raises(TypeError) as info:
        await read_file_input(value, field="file")
    message = str(info.value)
    assert "`file`" in message
    for accepted in (
        "bytes",
        "(filename, content)",
        "binary file object",
        "pathlib.Path",
        "trio.Path",
    ):
        assert accepted in message


@pytest.mark.trio
async def test_a_str_is_refused_with_a_hint() -> None:
    """A str could be a path or content: the caller must say which."""
    with pytest.raises(TypeError, match=r"pathlib\.Path\(\.\.\.\)"):
        await read_file_input("audio.mp3", field="file")


@pytest.mark.trio
async def test_text_mode_file_is_refused_with_rb_hint(tmp_path: Path) -> None:
    """A file opened in text mode gets a message saying to open it with "rb"."""
    path = tmp_path / "a.txt"
    path.write_text("hello")
    with path.open() as handle, pytest.raises(TypeError, match=r'open\(path, "rb"\)') as info:
        await read_file_input(handle, field="file")
    assert "`file`" in str(info.value)


@pytest.mark.trio
async def test_stringio_is_refused_with_rb_hint() -> None:
    """io.StringIO is text too."""
    with pytest.raises(TypeError, match='"rb"'):
        await read_file_input(io.StringIO("x"), field="file")


@pytest.mark.trio
async def test_file_like_returning_str_is_refused() -> None:
    """A duck-typed reader that returns str is treated as text mode."""

    class Reader:
        def read(self) -> str:
            return "text"

    with pytest.raises(TypeError, match='"rb"'):
        await read_file_input(Reader(), field="file")


@pytest.mark.trio
async def test_missing_path_is_a_clear_file_not_found_error(tmp_path: Path) -> None:
    """A missing path raises FileNotFoundError naming the field and the path."""
    missing = tmp_path / "nope.mp3"
    with pytest.raises(FileNotFoundError) as info:
        await read_file_input(missing, field="file")
    assert "`file`" in str(info.value)
    assert str(missing) in str(info.value)
    assert info.value.filename == str(missing)


@pytest.mark.trio
async def test_directory_path_is_refused(tmp_path: Path) -> None:
    """A directory is not a file."""
    with pytest.raises(IsADirectoryError, match="`file`"):
        await read_file_input(tmp_path, field="file")


@pytest.mark.trio
@pytest.mark.parametrize(
    ("value", "match"),
    [
        (("a",), "tuple of 1 items"),
        (("a", b"x", "t", "extra"), "tuple of 4 items"),
        ((1, b"x"), "filename in `file` must be a str"),
        (("a", b"x", 5), "content type in `file` must be a str"),
        (("a", "text"), "content in `file` must be bytes"),
        (("a", Path("x")), "pass the path itself"),
    ],
)
async def test_malformed_tuples_are_refused(value: tuple[Any, ...], match: str) -> None:
    """Each mistake in a tuple gets its own message."""
    with pytest.raises(TypeError, match=match):
        await read_file_input(value, field="file")


@pytest.mark.trio
async def test_content_type_with_a_control_character_is_refused() -> None:
    """A header-breaking content type is caught before httpx2 sees it."""
    with pytest.raises(ValueError, match="control character"):
        await read_file_input(("a", b"x", "text/plain\r\nX-Evil: 1"), field="file")


# --- reading never blocks the event loop ------------------------------------------------


def _spy_on_threads(monkeypatch: pytest.MonkeyPatch) -> list[Callable[..., Any]]:
    calls: list[Callable[..., Any]] = []
    real = trio.to_thread.run_sync

    async def spy(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(trio.to_thread, "run_sync", spy)
    return calls


@pytest.mark.trio
async def test_path_is_read_in_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path's bytes are read through trio.to_thread.run_sync."""
    path = tmp_path / "a.bin"
    path.write_bytes(b"x")
    calls = _spy_on_threads(monkeypatch)
    await read_file_input(path, field="file")
    assert any(getattr(fn, "__name__", "") == "read_bytes" for fn in calls)


@pytest.mark.trio
async def test_file_object_is_read_off_the_event_loop_thread() -> None:
    """`read()` of a file object runs in another thread than trio's."""
    readers: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            readers.append(threading.get_ident())
            return super().read(size)

    await read_file_input(Recording(b"x"), field="file")
    await read_file_input(("a.txt", Recording(b"x")), field="file")
    assert readers
    assert threading.get_ident() not in readers


@pytest.mark.trio
async def test_the_event_loop_runs_while_a_file_is_read() -> None:
    """Other tasks make progress during a slow read."""
    release = threading.Event()
    ticks = 0

    class Slow(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            release.wait(5)
            return b"done"

    async def ticker() -> None:
        nonlocal ticks
        while ticks < 3:
            await trio.lowlevel.checkpoint()
            ticks += 1
        release.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        assert (await read_file_input(Slow(), field="file"))[1] == b"done"
    assert ticks == 3


# --- the multipart body ------------------------------------------------------------


def _parse_body(files: Any, data: Any) -> tuple[str, list[Message]]:
    """Have httpx2 encode the form, then parse it back with the stdlib."""
    request = httpx2.Request("POST", "https://example.test/v1/x", files=files, data=data)
    body = request.read()
    content_type = request.headers["content-type"]
    message = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    assert message.is_multipart()
    parts = message.get_payload()
    assert isinstance(parts, list)
    return content_type, [part for part in parts if isinstance(part, Message)]


def _disposition(part: Message) -> dict[str, str]:
    params = part.get_params(header="content-disposition") or []
    return dict(params[1:])


@pytest.mark.trio
async def test_httpx2_builds_a_valid_multipart_body(tmp_path: Path) -> None:
    """Files and fields become parts with the right names, file names and types."""
    audio = tmp_path / "speech.mp3"
    audio.write_bytes(b"ID3-audio")
    files, data = await build_multipart(
        {"file": audio},
        {
            "model": "gpt-4o-transcribe",
            "temperature": 0.5,
            "stream": False,
            "timestamp_granularities": ["word", "segment"],
            "prompt": None,
            "language": NOT_GIVEN,
            "chunking_strategy": {"type": "server_vad", "threshold": 0.4},
        },
    )
    assert files == [("file", ("speech.mp3", b"ID3-audio", "audio/mpeg"))]
    assert data == {
        "model": "gpt-4o-transcribe",
        "temperature": "0.5",
        "stream": "false",
        "timestamp_granularities[]": ["word", "segment"],
        "chunking_strategy[type]": "server_vad",
        "chunking_strategy[threshold]": "0.4",
    }
    content_type, parts = _parse_body(files, data)
    assert content_type.startswith("multipart/form-data; boundary=")
    fields = [(_disposition(p)["name"], p.get_payload(decode=True)) for p in parts]
    assert fields == [
        ("model", b"gpt-4o-transcribe"),
        ("temperature", b"0.5"),
        ("stream", b"false"),
        ("timestamp_granularities[]", b"word"),
        ("timestamp_granularities[]", b"segment"),
        ("chunking_strategy[type]", b"server_vad"),
        ("chunking_strategy[threshold]", b"0.4"),
        ("file", b"ID3-audio"),
    ]
    file_part = parts[-1]
    assert _disposition(file_part)["filename"] == "speech.mp3"
    assert file_part.get_content_type() == "audio/mpeg"


@pytest.mark.trio
async def test_a_list_of_files_repeats_the_field_with_brackets() -> None:
    """`image=[a, b]` sends two `image[]` parts, as the OpenAI API expects."""
    files, _ = await build_multipart(
        {"image": [("a.png", b"A"), ("b.jpg", b"B")], "mask": None}, {"prompt": "x"}
    )
    assert files == [
        ("image[]", ("a.png", b"A", "image/png")),
        ("image[]", ("b.jpg", b"B", "image/jpeg")),
    ]
    _, parts = _parse_body(files, {"prompt": "x"})
    assert [(_disposition(p)["name"], _disposition(p).get("filename")) for p in parts] == [
        ("prompt", None),
        ("image[]", "a.png"),
        ("image[]", "b.jpg"),
    ]


@pytest.mark.trio
async def test_repeat_array_format_keeps_the_bare_name() -> None:
    """`array_format="repeat"` repeats the name as is, for servers that want that."""
    files, data = await build_multipart(
        {"image": [b"A", b"B"]}, {"tags": ["a", "b"], "one": ["c"]}, array_format="repeat"
    )
    assert [name for name, _ in files] == ["image", "image"]
    assert data == {"tags": ["a", "b"], "one": "c"}


@pytest.mark.trio
async def test_form_values_become_strings() -> None:
    """Booleans are true/false, numbers their repr, enums their value, nested lists brackets."""
    from enum import Enum

    class Color(str, Enum):
        RED = "red"

    _, data = await build_multipart(
        {"file": b"x"},
        {"t": True, "f": False, "n": 3, "x": 1e-07, "c": Color.RED, "deep": {"a": [1, {"b": 2}]}},
    )
    assert data == {
        "t": "true",
        "f": "false",
        "n": "3",
        "x": "1e-07",
        "c": "red",
        "deep[a][]": "1",
        "deep[a][][b]": "2",
    }


@pytest.mark.trio
async def test_unsupported_form_value_is_refused() -> None:
    """A value that is not JSON-like is a TypeError naming the field."""
    with pytest.raises(TypeError, match="`meta\\[when\\]`"):
        await build_multipart({"file": b"x"}, {"meta": {"when": object()}})


@pytest.mark.trio
async def test_without_files_the_fields_still_go_as_multipart() -> None:
    """With no file part left, fields become parts so httpx2 still sends multipart."""
    files, data = await build_multipart({"file": None}, {"purpose": "batch", "tags": ["a", "b"]})
    assert data == {}
    assert files == [
        ("purpose", (None, b"batch", None)),
        ("tags[]", (None, b"a", None)),
        ("tags[]", (None, b"b", None)),
    ]
    _, parts = _parse_body(files, data)
    assert [(_disposition(p), p.get("content-type")) for p in parts] == [
        ({"name": "purpose"}, None),
        ({"name": "tags[]"}, None),
        ({"name": "tags[]"}, None),
    ]


@pytest.mark.trio
async def test_errors_in_a_list_name_the_item() -> None:
    """A bad item in a list of files is named by its index."""
    with pytest.raises(TypeError, match=r"`image\[1\]`"):
        await build_multipart({"image": [b"ok", 5]}, {})


@pytest.mark.trio
async def test_a_quote_in_a_file_name_is_escaped_by_httpx2() -> None:
    """File names reach the header escaped, not breaking it."""
    files, data = await build_multipart({"file": ('a"b.txt', b"x")}, {})
    _, parts = _parse_body(files, data)
    assert _disposition(parts[0])["filename"] == "a%22b.txt"


def test_importing_the_module_does_not_import_trio_or_httpx2() -> None:
    """Importing `_http._multipart` loads neither trio nor httpx2: trio waits for its functions."""
    code = (
        "import sys, trio_openai\n"
        "before = {m for m in ('trio', 'httpx2') if m in sys.modules}\n"
        "import trio_openai._http._multipart\n"
        "print(sorted({m for m in ('trio', 'httpx2') if m in sys.modules} - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_ROOT
    )
    assert result.stdout.strip() == "[]"
