"""Multipart inputs: the file values callers pass, and the form httpx2 encodes.

A `FileInput` is one of:

- ``bytes``: sent with the file name ``upload``;
- ``(filename, content)`` or ``(filename, content, content_type)``, where
  *content* is ``bytes`` or a binary file object; a ``None`` file name sends a
  part without one (e.g. a JSON ``session`` part with ``"application/json"``);
- an open binary file object (``open(path, "rb")``, ``io.BytesIO``); its
  ``.name``, when it has one, gives the file name;
- a path: ``pathlib.Path``, ``trio.Path`` or any ``os.PathLike``.

A plain ``str`` is refused: it is ambiguous between a path and the content.

Files are read whole before the request is built, so a retry sends the same
bytes again. Reading never blocks the event loop: paths and file objects are
read in a worker thread (``trio.to_thread.run_sync``). The content type comes
from the ``content_type`` element, else from the file name (`mimetypes`),
else ``application/octet-stream``.

Form fields follow the OpenAI API (and its official SDK): ``None`` leaves a
field out; booleans are ``true``/``false``; a list repeats the field as
``name[]`` (``timestamp_granularities[]=word``); a mapping becomes
``name[key]`` fields (``expires_after[anchor]=created_at``). A list of files
repeats its file field the same way (``image[]``).

trio is imported inside the functions only, to keep ``import trio_openai`` fast.
"""

from __future__ import annotations

import errno
import io
import mimetypes
import os
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path, PurePath
from typing import IO, Final, Literal, TypeAlias

from .._types import NotGiven

__all__ = [
    "ArrayFormat",
    "FileContent",
    "FileInput",
    "FilePart",
    "MultipartFiles",
    "build_multipart",
    "read_file_input",
]

FileContent: TypeAlias = bytes | IO[bytes]
"""The content element of a ``(filename, content[, content_type])`` tuple."""

FileInput: TypeAlias = (
    bytes
    | IO[bytes]
    | os.PathLike[str]
    | tuple[str | None, FileContent]
    | tuple[str | None, FileContent, str | None]
)
"""A file to upload: bytes, a (name, content[, type]) tuple, a binary file object or a path.

``trio.Path`` is an ``os.PathLike[str]``.
"""

FilePart: TypeAlias = tuple[str | None, bytes, str | None]
"""One part as httpx2 takes it: (file name, content, content type)."""

MultipartFiles: TypeAlias = list[tuple[str, FilePart]]
"""The ``files=`` argument of ``httpx2.Request``: (field name, part) pairs, in order."""

ArrayFormat: TypeAlias = Literal["brackets", "repeat"]
"""How a list is named in a form: ``name[]`` (the OpenAI API's way) or ``name`` repeated."""

_DEFAULT_NAME: Final = "upload"
_DEFAULT_TYPE: Final = "application/octet-stream"
_ACCEPTED: Final = (
    "bytes, a (filename, content) or (filename, content, content_type) tuple, "
    'a binary file object (open(path, "rb"), io.BytesIO), pathlib.Path or trio.Path'
)


async def read_file_input(value: object, *, field: str) -> tuple[str | None, bytes, str]:
    """Read one `FileInput` into (file name, content, content type).

    Paths and file objects are read in a worker thread; the event loop goes on.

    Args:
        value: The caller's value.
        field: The argument's name, for error messages.

    Returns:
        The file name (``None`` only when a tuple asked for none), the content,
        and the content type.

    Raises:
        TypeError: *value* is not a `FileInput` (the message lists what is), a
            text-mode file, or a tuple of the wrong shape.
        FileNotFoundError: A path does not exist (the message names the field).
        IsADirectoryError: A path is a directory.
        OSError: Another error while reading.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        content = bytes(value)
        return _DEFAULT_NAME, content, _DEFAULT_TYPE
    if isinstance(value, tuple):
        return await _read_tuple(value, field)
    if isinstance(value, os.PathLike):
        return await _read_path(value, field)
    if _is_file_object(value):
        content = await _read_file_object(value, field)
        name = _file_object_name(value)
        return name, content, await _content_type(name)
    raise TypeError(_wrong_type(field, value))


async def build_multipart(
    files: Mapping[str, object],
    data: Mapping[str, object],
    *,
    array_format: ArrayFormat = "brackets",
) -> tuple[MultipartFiles, dict[str, str | list[str]]]:
    """Read the files and flatten the form fields, ready for httpx2's ``files=`` and ``data=``.

    A field whose value is ``None`` or `NOT_GIVEN` is left out, in *files* as in
    *data*. When no file part remains, the form fields are returned as parts
    too (with no file name and no content type), because httpx2 sends a
    multipart body only when ``files`` is non-empty.

    Args:
        files: Field name to a `FileInput`, or to a list of them.
        data: The other form fields, JSON-like values (str, int, float, bool,
            None, lists, mappings).
        array_format: ``"brackets"`` names list items ``name[]`` (what the
            OpenAI API expects); ``"repeat"`` repeats ``name`` as is.

    Returns:
        ``(files, data)`` for ``httpx2.Request(..., files=files, data=data)``.

    Raises:
        TypeError: A file value is not a `FileInput`, or a form value is not
            JSON-like.
        OSError: A file cannot be read (see `read_file_input`).
    """
    parts: MultipartFiles = []
    for name, value in files.items():
        if value is None or isinstance(value, NotGiven):
            continue
        if isinstance(value, list):
            key = f"{name}[]" if array_format == "brackets" else name
            for index, item in enumerate(value):
                part = await read_file_input(item, field=f"{name}[{index}]")
                parts.append((key, part))
        else:
            parts.append((name, await read_file_input(value, field=name)))

    fields: dict[str, str | list[str]] = {}
    for key, text in _form_items(data, array_format):
        previous = fields.get(key)
        if previous is None:
            fields[key] = text
        elif isinstance(previous, list):
            previous.append(text)
        else:
            fields[key] = [previous, text]
    if not parts:
        # httpx2 would send these url-encoded: make them parts instead.
        for key, value in fields.items():
            for text in [value] if isinstance(value, str) else value:
                parts.append((key, (None, text.encode(), None)))
        fields = {}
    return parts, fields


def _form_items(data: Mapping[str, object], array_format: ArrayFormat) -> Iterator[tuple[str, str]]:
    for name, value in data.items():
        yield from _flatten(name, value, array_format)


def _flatten(key: str, value: object, array_format: ArrayFormat) -> Iterator[tuple[str, str]]:
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, NotGiven):
        return
    if isinstance(value, bool):
        yield key, "true" if value else "false"
    elif isinstance(value, str):
        yield key, str.__str__(value)
    elif isinstance(value, (int, float)):
        yield key, repr(value)
    elif isinstance(value, Mapping):
        for sub, item in value.items():
            yield from _flatten(f"{key}[{sub}]", item, array_format)
    elif isinstance(value, (list, tuple)):
        item_key = f"{key}[]" if array_format == "brackets" else key
        for item in value:
            yield from _flatten(item_key, item, array_format)
    else:
        msg = (
            f"Form field `{key}` must be a str, number, bool, None, list or mapping, "
            f"got {type(value).__name__}"
        )
        raise TypeError(msg)


async def _read_tuple(value: tuple[object, ...], field: str) -> tuple[str | None, bytes, str]:
    if len(value) not in (2, 3):
        msg = (
            f"`{field}` must be (filename, content) or (filename, content, content_type), "
            f"got a tuple of {len(value)} items"
        )
        raise TypeError(msg)
    filename, content = value[0], value[1]
    content_type = value[2] if len(value) == 3 else None
    if filename is not None and not isinstance(filename, str):
        msg = f"The filename in `{field}` must be a str or None, got {type(filename).__name__}"
        raise TypeError(msg)
    if content_type is not None and not isinstance(content_type, str):
        msg = (
            f"The content type in `{field}` must be a str or None, "
            f"got {type(content_type).__name__}"
        )
        raise TypeError(msg)
    if content_type is not None and not content_type.isprintable():
        msg = f"The content type in `{field}` contains a control character: {content_type!r}"
        raise ValueError(msg)
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
    elif _is_file_object(content):
        data = await _read_file_object(content, field)
    else:
        msg = (
            f"The content in `{field}` must be bytes or a binary file object, "
            f"got {type(content).__name__}"
        )
        if isinstance(content, (str, PurePath)):
            msg += " (to send a file by path, pass the path itself instead of a tuple)"
        raise TypeError(msg)
    return filename, data, content_type or await _content_type(filename)


async def _read_path(value: os.PathLike[str], field: str) -> tuple[str, bytes, str]:
    import trio

    path = Path(os.fsdecode(value))
    try:
        # One thread hop reads the file; trio.Path would make the same one.
        content = await trio.to_thread.run_sync(path.read_bytes)
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            errno.ENOENT, f"The file given for `{field}` does not exist", str(path)
        ) from exc
    except IsADirectoryError as exc:
        raise IsADirectoryError(
            errno.EISDIR, f"The path given for `{field}` is a directory, not a file", str(path)
        ) from exc
    return path.name, content, await _content_type(path.name)


async def _read_file_object(value: object, field: str) -> bytes:
    import trio

    if isinstance(value, io.TextIOBase):
        raise TypeError(_text_mode(field))
    read = value.read  # type: ignore[attr-defined]
    content = await trio.to_thread.run_sync(read)
    if isinstance(content, str):
        raise TypeError(_text_mode(field))
    if not isinstance(content, (bytes, bytearray, memoryview)):
        msg = f"Reading the file object given for `{field}` returned {type(content).__name__}"
        raise TypeError(msg)
    return bytes(content)


async def _content_type(filename: str | None) -> str:
    if not mimetypes.inited:
        # The first guess reads the system's mime.types files: do it off the loop.
        import trio

        await trio.to_thread.run_sync(mimetypes.init)
    if filename:
        guessed, _ = mimetypes.guess_type(filename, strict=False)
        if guessed is not None:
            return guessed
    return _DEFAULT_TYPE


def _is_file_object(value: object) -> bool:
    return callable(getattr(value, "read", None))


def _file_object_name(value: object) -> str:
    name = getattr(value, "name", None)
    if isinstance(name, (bytes, os.PathLike)):
        name = os.fsdecode(name)
    if isinstance(name, str):
        base = PurePath(name).name
        # Names such as "<stdin>" are not file names.
        if base and not (base.startswith("<") and base.endswith(">")):
            return base
    return _DEFAULT_NAME


def _text_mode(field: str) -> str:
    return (
        f"The file given for `{field}` is open in text mode; "
        'open it in binary mode: open(path, "rb")'
    )


def _wrong_type(field: str, value: object) -> str:
    message = f"`{field}` must be a file: {_ACCEPTED}; got {type(value).__name__}"
    if isinstance(value, str):
        message += (
            " (a str is ambiguous: wrap a path in pathlib.Path(...), or encode text to bytes)"
        )
    return message
