"""``restsync import``: a document (or any spec) as an explicit YAML spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from restsync.cli.common import ParamOpt, SetOpt, SpecArg, fail, parse_params
from restsync.errors import RestsyncError


def import_(
    spec: SpecArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="The YAML spec to write.")],
    param: ParamOpt = None,
    set_: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write SPEC as an explicit YAML spec: every inference written out as configuration,
    with a comment saying where it came from; secrets stay references. Sends no request."""
    from restsync.cli.common import console
    from restsync.engine.importer import import_spec

    if output.exists() and not force:
        raise fail(RestsyncError(f"{output} exists; pass --force to overwrite it"))
    try:
        imported = import_spec(spec, params=parse_params(param), overrides=set_ or [])
    except RestsyncError as exc:
        raise fail(exc) from None
    output.write_text(imported.text, encoding="utf-8")
    console.print(f"wrote {output}: source `{imported.name}`, {len(imported.inferences)} "
                  "inference(s) written out", markup=False, highlight=False)
