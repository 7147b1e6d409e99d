"""``restsync preview``: the first pages of each resource, every step shown; writes nothing."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from restsync.cli.common import (
    ParamOpt,
    SetOpt,
    SpecArg,
    config_lookup,
    fail,
    load_source,
    unknown_resource,
)
from restsync.errors import RestsyncError


def preview(
    spec: SpecArg,
    resource: Annotated[list[str] | None, typer.Option(
        "--resource", help="Resource to preview (repeatable; default: every resource a run "
                           "loads). Its parents are fetched too.")] = None,
    pages: Annotated[int | None, typer.Option(
        help="Pages per request sequence at most (default 3).", min=1)] = None,
    records: Annotated[int | None, typer.Option(
        help="Records to show per resource (default 3).", min=0)] = None,
    parents: Annotated[int | None, typer.Option(
        help="Parent items a child resource is requested for (default 2).", min=1)] = None,
    max_wait: Annotated[float | None, typer.Option(
        "--max-wait", help="Longest retry wait to sleep through, seconds (default 30).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    replay: Annotated[str | None, typer.Option(
        "--replay", help="Answer from the cassette in this folder instead of the API.")] = None,
    set_: SetOpt = None,
    param: ParamOpt = None,
) -> None:
    """Fetch the first pages of each resource and show every request, the paginator's
    decisions, what the selector found, the first records and their columns.

    Nothing is written to any destination and no state is saved.
    """
    import asyncio

    import orjson

    from restsync.cli.cassette_opts import replay_source, replay_transport
    from restsync.cli.common import console
    from restsync.cli.preview_view import print_preview
    from restsync.engine.preview import preview_source

    try:
        source = replay_source(spec, set_, param) if replay else load_source(spec, set_, param)
        names = [r.name for r in source.resources]
        for name in resource or []:
            if name not in names:
                raise unknown_resource(name, names)
        transport = replay_transport(replay, source) if replay else None
        given: dict[str, Any] = {"pages": pages, "records": records, "parents": parents,
                                 "max_wait": max_wait}
        result = asyncio.run(preview_source(
            source, resources=resource or None, lookup=config_lookup(), transport=transport,
            **{k: v for k, v in given.items() if v is not None}))
    except RestsyncError as exc:
        raise fail(exc) from None
    if as_json:
        console.print(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode(),
                      markup=False, highlight=False, soft_wrap=True)
    else:
        print_preview(console, result)
    if any(s.failed for s in result.resources):
        raise typer.Exit(code=1)
