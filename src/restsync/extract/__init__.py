"""restsync.extract: HTTP, auth flows, retries, paginators, selectors, incremental filter.

Public API::

    async with ApiClient(config, events=sink) as client:
        async for page in client.pages(resource="drafts", endpoint=endpoint,
                                       paginator=endpoint.paginator or config.paginator):
            ...

See :mod:`restsync.extract.client` for details; errors are the ``FatalError`` subclasses of
:mod:`restsync.errors`.
"""

from restsync.extract.aiohttp_transport import AiohttpTransport
from restsync.extract.client import ApiClient
from restsync.extract.concurrency import ConcurrencyLimit
from restsync.extract.cursor_values import CursorCodec
from restsync.extract.expressions import CompiledExpression, compile_expression
from restsync.extract.http import (
    MemoryTransport,
    Request,
    Response,
    Transport,
    json_response,
)
from restsync.extract.incremental import IncrementalFilter, PerParentIncremental, parent_key
from restsync.extract.page import Page, ResourceStats
from restsync.extract.processing import RecordProcessor
from restsync.extract.ratelimit import HostPacer, TokenBucket
from restsync.extract.redact import redact_text, redact_url
from restsync.extract.retry import AsyncioSleeper, RecordingSleeper, Sleeper
from restsync.extract.selectors import DataSelector
from restsync.extract.urls import fill_path, join_url

__all__ = [
    "AiohttpTransport",
    "ApiClient",
    "AsyncioSleeper",
    "CompiledExpression",
    "ConcurrencyLimit",
    "CursorCodec",
    "DataSelector",
    "HostPacer",
    "IncrementalFilter",
    "MemoryTransport",
    "Page",
    "PerParentIncremental",
    "RecordProcessor",
    "RecordingSleeper",
    "Request",
    "ResourceStats",
    "Response",
    "Sleeper",
    "TokenBucket",
    "Transport",
    "compile_expression",
    "fill_path",
    "join_url",
    "json_response",
    "parent_key",
    "redact_text",
    "redact_url",
]
