"""``realtime``: a text conversation with a Realtime model in the terminal.

Each line read from stdin becomes a user message (``conversation.item.create``)
followed by ``response.create``; the reply's text deltas are printed as they
arrive, until ``response.done``. The session asks for text output only. The end
of the input (Ctrl-D, or the end of a pipe) closes the session cleanly; Ctrl-C
interrupts it (exit code 130).

An ``error`` event is printed on stderr; if it is about this turn's events the
turn ends there (no ``response.done`` will follow). The exit code is 1 if any
turn failed, else 0. With ``--json`` every server event is written as a JSON line.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._base import EXIT_API_ERROR, EXIT_OK, Commands, Context, add_command

if TYPE_CHECKING:
    from ..realtime import RealtimeConnection
    from ._io import Console

__all__ = ["register"]

_DEFAULT_MODEL = "gpt-realtime"


def register(commands: Commands) -> None:
    """Add ``realtime`` to the command line.

    Args:
        commands: The top-level subparsers.
    """
    parser = add_command(
        commands,
        "realtime",
        help="a text session with a Realtime model: one line in, the reply out",
        handler=_realtime,
    )
    parser.add_argument(
        "--model",
        default=None,
        help=f"model (default: $OPENAI_REALTIME_MODEL, else {_DEFAULT_MODEL})",
    )
    parser.add_argument("--instructions", default=None, metavar="TEXT", help="system instructions")


async def _realtime(ctx: Context) -> int:
    # Not $OPENAI_MODEL: that names a chat model, which cannot hold a Realtime session.
    args, console = ctx.args, ctx.console
    model = args.model or os.environ.get("OPENAI_REALTIME_MODEL") or _DEFAULT_MODEL
    session: dict[str, Any] = {"type": "realtime", "output_modalities": ["text"]}
    if args.instructions:
        session["instructions"] = args.instructions
    prompt = console.stdin.isatty()
    outcome = EXIT_OK
    async with ctx.open_client() as client, client.realtime.connect(model=model) as conn:
        await conn.session.update(session=session)
        while True:
            if prompt:
                console.err("> ", end="")
            line = await console.stdin.readline()
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            item_id = await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                }
            )
            response_id = await conn.response.create()
            if not await _print_reply(conn, console, {item_id, response_id}):
                outcome = EXIT_API_ERROR
    if prompt:
        console.err()
    return outcome


async def _print_reply(conn: RealtimeConnection, console: Console, sent: set[str]) -> bool:
    """Print the reply's text until ``response.done``; whether the turn succeeded.

    Args:
        conn: The session.
        console: Where to print.
        sent: The ids of this turn's client events (an error about one ends the turn).

    Raises:
        RealtimeConnectionClosed: The connection closed abnormally.
    """
    from ..types.realtime import (
        RealtimeServerEventError,
        RealtimeServerEventResponseDone,
        RealtimeServerEventResponseTextDelta,
    )

    wrote = False
    ok = True
    async for event in conn:
        if console.json:
            console.json_out(event.to_dict(), indent=None)
        if isinstance(event, RealtimeServerEventResponseTextDelta):
            if not console.json and event.delta:
                console.out(event.delta, end="")
                wrote = True
        elif isinstance(event, RealtimeServerEventError):
            _end_line(console, wrote)
            wrote = False
            error = event.error
            code = f" ({error.code})" if error.code else ""
            console.error(f"{error.message}{code}")
            if error.event_id in sent:
                return False
            ok = False
        elif isinstance(event, RealtimeServerEventResponseDone):
            _end_line(console, wrote)
            status = event.response.status
            if status not in {None, "completed"}:
                details = event.response.status_details
                reason = _reason(details)
                console.error(f"the response ended {status}{reason}")
                return False
            return ok
    _end_line(console, wrote)
    console.error("the server ended the session")
    return False


def _end_line(console: Console, wrote: bool) -> None:
    if wrote and not console.json:
        console.out()


def _reason(details: Any) -> str:
    if details is None:
        return ""
    error = getattr(details, "error", None)
    if error is not None and getattr(error, "code", None):
        return f": {error.code}"
    reason = getattr(details, "reason", None)
    return f": {reason}" if reason else ""
