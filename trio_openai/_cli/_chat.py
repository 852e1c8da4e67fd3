"""``chat`` and ``responses``: one message in, the reply streamed to the terminal as it arrives.

The message is the command's words (``trio-openai chat Hello there``), or stdin
when there are none or the only one is ``-`` (``echo Hello | trio-openai chat``).
With ``--json`` a stream is written as JSON lines, one per event as the API sent
it, and ``--no-stream`` as the one JSON document of the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import (
    EXIT_API_ERROR,
    EXIT_OK,
    Commands,
    Context,
    UsageError,
    add_command,
    default_model,
)

if TYPE_CHECKING:
    from ..types.chat import ChatCompletionMessageParam
    from ._io import Console

__all__ = ["read_message", "register"]

_DEFAULT_MODEL = "gpt-4o-mini"


def register(commands: Commands) -> None:
    """Add ``chat`` and ``responses`` to the command line.

    Args:
        commands: The top-level subparsers.
    """
    chat = add_command(
        commands, "chat", help="send one chat message; stream the reply", handler=_chat
    )
    chat.add_argument("message", nargs="*", help="the message (default: read stdin)")
    chat.add_argument(
        "--model", default=None, help=f"model (default: $OPENAI_MODEL, else {_DEFAULT_MODEL})"
    )
    chat.add_argument("--system", default=None, metavar="TEXT", help="a system message first")
    chat.add_argument(
        "--no-stream", action="store_true", help="wait for the whole reply instead of streaming"
    )

    responses = add_command(
        commands,
        "responses",
        help="create a response (Responses API); stream its text",
        handler=_responses,
    )
    responses.add_argument("input", nargs="*", help="the input text (default: read stdin)")
    responses.add_argument(
        "--model", default=None, help=f"model (default: $OPENAI_MODEL, else {_DEFAULT_MODEL})"
    )
    responses.add_argument(
        "--instructions", default=None, metavar="TEXT", help="system instructions"
    )
    responses.add_argument(
        "--no-stream", action="store_true", help="wait for the whole response instead of streaming"
    )


async def read_message(console: Console, words: list[str], *, what: str) -> str:
    """Return the message given as words, or read from stdin.

    Args:
        console: Where stdin is.
        words: The positional words; none, or ``["-"]``, means stdin.
        what: What the message is called in an error (``message``, ``input``).

    Raises:
        UsageError: No words and stdin is a terminal, or the message is empty.
    """
    if words and words != ["-"]:
        return " ".join(words)
    if not words and console.stdin.isatty():
        raise UsageError(f"give the {what} as arguments, or pipe it on stdin")
    text = (await console.stdin.read()).strip()
    if not text:
        raise UsageError(f"the {what} is empty")
    return text


async def _chat(ctx: Context) -> int:
    args, console = ctx.args, ctx.console
    message = await read_message(console, args.message, what="message")
    messages: list[ChatCompletionMessageParam] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": message})
    model = args.model or default_model(_DEFAULT_MODEL)
    async with ctx.open_client() as client:
        if args.no_stream:
            completion = await client.chat.completions.create(model=model, messages=messages)
            if console.json:
                console.json_out(completion.to_dict())
            else:
                first = completion.choices[0] if completion.choices else None
                console.out((first.message.content or "") if first else "")
            return EXIT_OK
        wrote = False
        async with client.chat.completions.stream(model=model, messages=messages) as stream:
            async for chunk in stream:
                if console.json:
                    console.json_out(chunk.to_dict(), indent=None)
                    continue
                for choice in chunk.choices or ():
                    if choice.index == 0 and choice.delta.content:
                        console.out(choice.delta.content, end="")
                        wrote = True
        if wrote:
            console.out()
    return EXIT_OK


async def _responses(ctx: Context) -> int:
    from ..types.responses import (
        ResponseFailedEvent,
        ResponseIncompleteEvent,
        ResponseTextDeltaEvent,
    )

    args, console = ctx.args, ctx.console
    text = await read_message(console, args.input, what="input")
    model = args.model or default_model(_DEFAULT_MODEL)
    options: dict[str, Any] = {"model": model, "input": text}
    if args.instructions:
        options["instructions"] = args.instructions
    async with ctx.open_client() as client:
        if args.no_stream:
            response = await client.responses.create(**options)
            if console.json:
                console.json_out(response.to_dict())
            else:
                console.out(response.output_text)
            if response.error is not None:
                console.error(f"the response failed: {response.error.message}")
                return EXIT_API_ERROR
            return EXIT_OK
        wrote = False
        outcome = EXIT_OK
        async with client.responses.stream(**options) as stream:
            async for event in stream:
                if console.json:
                    console.json_out(event.to_dict(), indent=None)
                if isinstance(event, ResponseTextDeltaEvent) and not console.json:
                    console.out(event.delta, end="")
                    wrote = wrote or bool(event.delta)
                elif isinstance(event, ResponseFailedEvent):
                    error = event.response.error
                    reason = error.message if error is not None else "no reason given"
                    outcome = _fail(console, wrote, f"the response failed: {reason}")
                    wrote = False
                elif isinstance(event, ResponseIncompleteEvent):
                    details = event.response.incomplete_details
                    reason = (details.reason if details is not None else None) or "unknown"
                    outcome = _fail(console, wrote, f"the response is incomplete ({reason})")
                    wrote = False
        if wrote:
            console.out()
    return outcome


def _fail(console: Console, wrote: bool, message: str) -> int:
    if wrote:
        console.out()
    console.error(message)
    return EXIT_API_ERROR
