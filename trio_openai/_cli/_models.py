"""``models list``: the models the key may use, one per line (every page, not just the first)."""

from __future__ import annotations

import datetime as dt

from ._base import EXIT_OK, Commands, Context, add_command

__all__ = ["register"]


def register(commands: Commands) -> None:
    """Add ``models list`` to the command line.

    Args:
        commands: The top-level subparsers.
    """
    group = add_command(commands, "models", help="the models available")
    sub = group.add_subparsers(dest="models_command", required=True, metavar="COMMAND")
    add_command(sub, "list", help="list the models: id, owner, creation date", handler=_list)


async def _list(ctx: Context) -> int:
    console = ctx.console
    async with ctx.open_client() as client:
        models = [model async for model in client.models.list()]
    if console.json:
        console.json_out([model.to_dict() for model in models])
        return EXIT_OK
    width = max((len(model.id) for model in models), default=0)
    owner_width = max((len(model.owned_by or "") for model in models), default=0)
    for model in sorted(models, key=lambda m: m.id):
        owner = model.owned_by or ""
        console.out(f"{model.id:<{width}}  {owner:<{owner_width}}  {_date(model.created)}")
    return EXIT_OK


def _date(timestamp: object) -> str:
    # Typed int, but servers that speak the API (Ollama, vLLM) may leave it out.
    if not isinstance(timestamp, int):
        return "-"
    return str(dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc).date())
