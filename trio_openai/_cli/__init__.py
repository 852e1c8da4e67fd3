"""The ``trio-openai`` command line (``python -m trio_openai``); see docs/cli.md.

One module per command group: ``_chat`` (chat, responses), ``_models``,
``_files`` (upload with a progress bar), ``_follow`` (batches and fine-tuning
jobs), ``_realtime``, ``_local`` (demo, fake-server); ``_base`` holds what they
share, ``_io`` the terminal, ``_app`` the parser, `run` and `main`.
"""

from __future__ import annotations

from ._app import build_parser as build_parser
from ._app import main as main
from ._app import run as run
from ._io import StringInput as StringInput

__all__ = ["StringInput", "build_parser", "main", "run"]
