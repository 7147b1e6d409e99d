"""The transport of a run that records or replays a cassette (``--record`` / ``--replay``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from restsync.extract import ApiClient
from restsync.extract.cassette import RecordingTransport, ReplayTransport
from restsync.extract.retry import RecordingSleeper
from restsync.extract.tap import transport_for
from restsync.spec.model import SourceConfig


class Cassette:
    """Chooses a run's transport: the given one, a recording one or a replaying one.

    Args:
        source: The source.
        transport: The transport the caller gave (None: the real one).
        record: Folder to record the cassette in.
        replay: Folder to replay the cassette from (wins over ``record``).
    """

    def __init__(self, source: SourceConfig, transport: Any, *,
                 record: str | Path | None, replay: str | Path | None) -> None:
        self.transport = transport
        self._client: ApiClient | None = None
        self._recording: RecordingTransport | None = None
        self._owns_inner = False
        self.replaying = replay is not None
        if replay is not None:
            self.transport = ReplayTransport(replay, source)
        elif record is not None:
            self._owns_inner = transport is None
            inner = transport if transport is not None else transport_for(source.client)
            self._recording = RecordingTransport(inner, record, source,
                                                 live_secrets=self._live_secrets)
            self.transport = self._recording

    def sleeper(self, given: Any) -> Any:
        """The sleeper of the run: a replay does not sleep through the recorded waits."""
        if given is None and self.replaying:
            return RecordingSleeper()
        return given

    def watch(self, client: ApiClient) -> None:
        """The client whose tokens a recording also replaces."""
        self._client = client

    def _live_secrets(self) -> list[str]:
        if self._client is None:
            return []
        return [v for flow in self._client.auth_flows.all() for v in flow.secret_values()]

    async def close(self) -> None:
        """Finish the cassette file (and close the real transport a recording opened)."""
        if self._recording is not None:
            await self._recording.finish(close_inner=self._owns_inner)
