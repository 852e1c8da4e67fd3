"""``demo`` and ``fake-server``: commands that need no account.

``fake-server`` serves `trio_openai.testing.FakeOpenAI` on 127.0.0.1 until
interrupted, and with ``--realtime`` a `trio_openai.testing.FakeRealtime` too, so
every other command can be tried against it with ``--base-url``.

``demo`` prints with ``sys.stdout`` (it is also a module of its own); while it
runs, ``sys.stdout`` is the console's scrubbed stdout, so its output is scrubbed
of the keys like every other command's and goes where `run` was told.
"""

from __future__ import annotations

import contextlib
from typing import TextIO, cast

import trio

from ._base import EXIT_OK, Commands, Context, add_command

__all__ = ["register"]


def register(commands: Commands) -> None:
    """Add ``demo`` and ``fake-server`` to the command line.

    Args:
        commands: The top-level subparsers.
    """
    add_command(
        commands,
        "demo",
        help="chat, stream, list, error and retry (the embedded fake server if no key)",
        handler=_demo,
    )
    fake = add_command(
        commands, "fake-server", help="serve the fake OpenAI server on 127.0.0.1", handler=_serve
    )
    fake.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    fake.add_argument(
        "--realtime",
        action="store_true",
        help="also serve the fake Realtime API (on a port of its own)",
    )


async def _demo(ctx: Context) -> int:
    # The demo reads the environment itself, as documented in its module.
    from .._demo import run_demo

    # The demo only writes and flushes, which is all a ScrubbedOutput does.
    with contextlib.redirect_stdout(cast("TextIO", ctx.console.stdout)):
        await run_demo()
    return EXIT_OK


async def _serve(ctx: Context) -> int:
    from ..testing import FakeRealtime, serve_forever

    args, console = ctx.args, ctx.console
    async with trio.open_nursery() as nursery:
        url = await nursery.start(serve_forever, args.port)
        realtime_url = None
        if args.realtime:
            realtime_url = await nursery.start(FakeRealtime(api_key=None).serve)
        if console.json:
            console.json_out({"base_url": url, "realtime_base_url": realtime_url}, indent=None)
        else:
            console.out(f"Fake OpenAI server listening at {url} (Ctrl-C to stop)")
            if realtime_url is not None:
                console.out(f"Fake Realtime server listening at {realtime_url}")
    return EXIT_OK
