"""The five benchmark scenarios of issue 4 and the datasets the mock API serves for them."""

from __future__ import annotations

from dataclasses import dataclass

from bench.lakes import LAKE_SCENARIOS, LAKE_TOOLS
from bench.mock_api import Dataset

TOOLS = ("restsync", "dlt-default", "dlt-fast", "airbyte-cdk", "ceiling", "fetch", *LAKE_TOOLS)


@dataclass(frozen=True)
class Scenario:
    """One benchmark scenario.

    Attributes:
        name: Short name used on the command line.
        title: What it measures.
        dataset: The mock API dataset it reads.
        kind: ``bulk`` (one paged resource) or ``fanout`` (list + one detail request per item).
        write_disposition: ``append`` or ``merge`` (on ``id``).
        skip_by_default: Tools left out unless named with ``--tools`` (too slow or too big).
    """

    name: str
    title: str
    dataset: Dataset
    kind: str = "bulk"
    write_disposition: str = "append"
    skip_by_default: tuple[str, ...] = ()

    @property
    def expected_rows(self) -> int:
        """Root-table rows every tool must load (list items + details for fan-out)."""
        return self.dataset.records * (2 if self.kind == "fanout" else 1)

    @property
    def requests(self) -> int:
        """HTTP requests of a fault-free run (list pages incl. the last + details)."""
        pages = -(-self.dataset.records // self.dataset.page_size)
        return pages + (self.dataset.records if self.kind == "fanout" else 0)


def build_scenarios(quick: bool = False) -> list[Scenario]:
    """The scenarios at full size, or 10x smaller with ``quick`` (a smoke run)."""
    scale = 10 if quick else 1
    bulk = Dataset("bulk", records=200_000 // scale, page_size=1000)
    big = Dataset("big", records=1_000_000 // scale, page_size=1000)
    fanout = Dataset("fanout", records=2_000 // scale, page_size=100, latency_ms=20)
    faults = Dataset("faults", records=200_000 // scale, page_size=1000, fault_rate=0.05)
    scenarios = [
        Scenario("bulk", "200k nested events, append", bulk),
        Scenario("merge", "200k nested events, merge on id", bulk, write_disposition="merge"),
        # dlt's defaults load < 1,000 rows/s (93 rows/s on a busy machine) and the CDK reads
        # ~5,000 records/s: 1M rows (100k quick) would take them many minutes, proving nothing new
        Scenario("1m", "1M nested events, append (flat memory)", big,
                 skip_by_default=("dlt-default",) if quick else ("dlt-default", "airbyte-cdk")),
        Scenario("fanout", "2,000 items + 2,000 detail requests at 20 ms", fanout,
                 kind="fanout"),
        # the faults target compares restsync with its own bulk run; dlt's defaults add 10 min
        Scenario("faults", "200k events, 5% 429/503 answers (Retry-After: 0)", faults,
                 skip_by_default=("dlt-default",)),
    ]
    # the lake formats are compared on bulk and merge only (unless named with --tools)
    return [s if s.name in LAKE_SCENARIOS else
            Scenario(s.name, s.title, s.dataset, s.kind, s.write_disposition,
                     (*s.skip_by_default, *LAKE_TOOLS)) for s in scenarios]
