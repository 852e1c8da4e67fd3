"""Check that every operation of the OpenAPI spec is a method on the client.

Usage::

    python tools/coverage.py            # summary and any problem; exit 1 if one is missing
    python tools/coverage.py --list     # also every operation and its method

The operations come from ``../shared/openapi/operations.tsv`` (``--operations``
overrides it): method, path, operationId, and whether the operation streams.
For each one the tool

1. finds its method in the generated table ``trio_openai.resources._operations``;
2. walks the client tree to it (``client.beta.threads.runs`` ...) and checks that
   it is an API method (``api_method``, ``binary_method``, ``list_method`` or
   ``stream_method``);
3. builds the request the method makes (no I/O: generated methods only build a
   spec), with placeholder arguments, and checks its HTTP method, path and query
   (``?beta=true`` for the beta variants);
4. for an operation that streams, checks that its streaming twin exists and asks
   for a stream (``stream: true``, or ``stream_format: "sse"``).

It prints ``N/M operations covered`` and exits 1 if any operation fails a check.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OPERATIONS = REPO.parent / "shared/openapi/operations.tsv"


@dataclass(frozen=True)
class SpecOperation:
    method: str
    path: str
    operation_id: str
    streams: str


def load_operations(path: Path) -> list[SpecOperation]:
    """The rows of operations.tsv."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            SpecOperation(row["method"], row["path"], row["operation_id"], row["streams"])
            for row in csv.DictReader(f, delimiter="\t")
        ]


def _tree() -> Any:
    """The root of the resource tree, without a client (methods only build specs)."""
    from trio_openai.resources._root import RootResources

    class Root(RootResources[Any]):
        __slots__ = ("_children",)
        _portal = None

        def __init__(self) -> None:
            self._children = {}

        @property
        def _root(self) -> Any:
            return self

    return Root()


def _descriptor(root: Any, dotted: str) -> Any:
    """The method descriptor of ``client.<dotted>``.

    Raises:
        LookupError: A resource or the method does not exist.
    """
    from trio_openai._api._methods import (
        BinaryMethod,
        ListMethod,
        Method,
        StreamMethod,
        TypedMethod,
    )

    *resources, name = dotted.split(".")
    node = root
    for part in resources:
        node = getattr(node, part, None)
        if node is None:
            msg = f"no resource `{part}` in client.{dotted}"
            raise LookupError(msg)
    descriptor = inspect.getattr_static(type(node), name, None)
    if not isinstance(descriptor, (Method, BinaryMethod, ListMethod, StreamMethod, TypedMethod)):
        msg = f"client.{dotted} is not an API method"
        raise LookupError(msg)
    return descriptor


def _placeholders(build: Any) -> dict[str, object]:
    """Arguments for a spec builder: a string for every required parameter."""
    args: dict[str, object] = {}
    for name, p in list(inspect.signature(build).parameters.items())[1:]:
        if p.default is inspect.Parameter.empty:
            args[name] = f"<{name}>"
    return args


def _request(descriptor: Any) -> Any:
    build = descriptor._build  # the generated builder: no I/O
    spec = build(None, **_placeholders(build))
    return getattr(spec, "request", spec)


def _check_request(op: SpecOperation, request: Any) -> Iterator[str]:
    bare, _, fixed = op.path.partition("?")
    expected = bare
    for part in bare.split("/"):
        if part.startswith("{"):
            expected = expected.replace(part, quote(f"<{part[1:-1]}>", safe=""))
    if request.method != op.method:
        yield f"sends {request.method}, the spec says {op.method}"
    if request.path != expected:
        yield f"sends {request.path}, the spec says {op.path}"
    query = request.query or {}
    for key, value in parse_qsl(fixed):
        if str(query.get(key)) != value:
            yield f"does not send the query `{key}={value}` of the path key"


def _asks_to_stream(request: Any) -> bool:
    for fields in (request.body or {}, request.query or {}):
        if fields.get("stream") is True or fields.get("stream_format") == "sse":
            return True
    return False


def check(operations: list[SpecOperation]) -> tuple[list[tuple[SpecOperation, str]], list[str]]:
    """(operation, implementing method) for each covered operation, and the problems."""
    from trio_openai._api._methods import StreamMethod
    from trio_openai.resources._operations import OPERATIONS

    root = _tree()
    covered: list[tuple[SpecOperation, str]] = []
    problems: list[str] = []
    for op in operations:
        entry = OPERATIONS.get(op.operation_id)
        if entry is None:
            problems.append(f"{op.operation_id} ({op.method} {op.path}): no method")
            continue
        errors: list[str] = []
        if (entry.method, entry.path) != (op.method, op.path):
            errors.append(f"the table says {entry.method} {entry.path}")
        try:
            errors.extend(_check_request(op, _request(_descriptor(root, entry.python))))
            if op.streams != "no":
                if entry.stream is None:
                    errors.append("it streams, and has no streaming method")
                else:
                    twin = _descriptor(root, entry.stream)
                    if not isinstance(twin, StreamMethod):
                        errors.append(f"client.{entry.stream} is not a streaming method")
                    elif not _asks_to_stream(_request(twin)):
                        errors.append(f"client.{entry.stream} does not ask for a stream")
        except Exception as exc:  # noqa: BLE001 - reported, the tool goes on
            errors.append(f"{type(exc).__name__}: {exc}")
        if errors:
            problems.extend(f"{op.operation_id} -> client.{entry.python}: {e}" for e in errors)
        else:
            method = entry.python + (f" (+ {entry.stream})" if entry.stream else "")
            covered.append((op, method))
    known = {op.operation_id for op in operations}
    problems.extend(
        f"{extra}: in the generated table, not in the spec's operation list"
        for extra in sorted(set(OPERATIONS) - known)
    )
    return covered, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--operations",
        type=Path,
        default=Path(os.environ.get("OPENAI_OPERATIONS_TSV") or DEFAULT_OPERATIONS),
        help="the spec's operation list (operations.tsv)",
    )
    parser.add_argument("--list", action="store_true", help="print every operation")
    args = parser.parse_args(argv)
    if not args.operations.is_file():
        print(f"operation list not found: {args.operations}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    operations = load_operations(args.operations)
    covered, problems = check(operations)
    if args.list:
        for op, method in covered:
            print(f"{op.method:6} {op.path:70} {op.operation_id:45} client.{method}")
    for problem in problems:
        print(f"MISSING {problem}", file=sys.stderr)
    print(f"{len(covered)}/{len(operations)} operations covered")
    return 0 if not problems and len(covered) == len(operations) else 1


if __name__ == "__main__":
    raise SystemExit(main())
