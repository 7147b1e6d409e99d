"""``--record DIR`` / ``--replay DIR``: the options and how a replay loads its spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from restsync.cli.common import load_source

RecordOpt = Annotated[Path | None, typer.Option(
    "--record", help="Save every HTTP exchange (token requests included) as a cassette in "
                     "this folder; secrets become placeholders.")]
ReplayOpt = Annotated[Path | None, typer.Option(
    "--replay", help="Answer every request from the cassette in this folder; nothing is sent. "
                     "Missing secrets get stand-ins.")]

STAND_IN = "replay-stand-in-for-{name}"
"""The value a secret the environment does not have gets in a replay (it is never sent)."""


def replay_source(spec: Path, sets: list[str] | None, params: list[str] | None, *,
                  config: Path | None = None, streams: str | None = None) -> Any:
    """The source for a replay: secrets nobody has get stand-ins (a cassette holds
    placeholders, never secrets, so any value matches); a missing config value is still an
    error (config values shape the requests)."""
    from restsync.cli.common import parse_params
    from restsync.errors import MissingValuesError
    from restsync.spec import load_spec
    from restsync.spec.values import ValueResolver

    try:
        return load_source(spec, sets, params, config=config, streams=streams)
    except MissingValuesError as exc:
        if any(m.kind != "secret" for m in exc.missing):
            raise
        stand_ins = {m.name: STAND_IN.format(name=m.name) for m in exc.missing}
        return load_spec(spec, overrides=sets or [], params=parse_params(params),
                         values=ValueResolver(secrets=stand_ins))


def replay_transport(folder: Path | str, source: Any) -> Any:
    """The transport answering from ``folder``'s cassette of ``source``."""
    from restsync.extract.cassette import ReplayTransport

    return ReplayTransport(folder, source)
