"""The ``trio-openai`` command (``python -m trio_openai``): a thin entry to ``_cli``."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (see docs/cli.md).

    Args:
        argv: The arguments, without the program name (default ``sys.argv[1:]``).
    """
    from ._cli import main as run_main

    return run_main(argv)


if __name__ == "__main__":
    sys.exit(main())
