"""Command line: ``python -m trio_openai demo`` and ``python -m trio_openai fake-server``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="trio-openai", description="A Trio-native client for the OpenAI API."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="chat, stream, list, error and retry (fake server if no key)")
    fake = commands.add_parser("fake-server", help="serve the fake OpenAI server on 127.0.0.1")
    fake.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from ._demo import main as demo

        demo()
        return 0
    import trio

    try:
        trio.run(_serve, args.port)
    except KeyboardInterrupt:
        return 130
    return 0


async def _serve(port: int) -> None:
    import trio

    from .testing import serve_forever

    async with trio.open_nursery() as nursery:
        url = await nursery.start(serve_forever, port)
        print(f"Fake OpenAI server listening at {url} (Ctrl-C to stop)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
