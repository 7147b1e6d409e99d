"""Tables of a benchmark run: per-run results, ratios, and the issue's targets (markdown)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from bench.measure import RunResult
from bench.scenarios import Scenario


@dataclass
class Summary:
    """Results of one scenario: every run and the median per tool."""

    scenario: Scenario
    concurrency: int
    runs: dict[str, list[RunResult]] = field(default_factory=dict)
    results: dict[str, RunResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Failed runs, wrong row counts, duplicates, and tables that differ between tools."""
        out = []
        expected = self.scenario.expected_rows
        for tool, runs in self.runs.items():
            for r in runs:
                if r.error:
                    out.append(f"{tool}: {r.error}")
                elif r.rows != expected:
                    out.append(f"{tool}: {r.rows} rows, expected {expected}")
                elif r.distinct_ids is not None and r.distinct_ids != r.rows:
                    out.append(f"{tool}: {r.rows - r.distinct_ids} duplicate ids")
        loaded = {t: r.tables for t, r in self.results.items() if r.tables and r.error is None}
        if len({tuple(sorted(t.items())) for t in loaded.values()}) > 1:
            out.append("tables differ between tools: " + "; ".join(
                f"{tool} {tables}" for tool, tables in loaded.items()))
        return out

    def get(self, tool: str) -> RunResult | None:
        r = self.results.get(tool)
        return r if r is not None and r.error is None else None

    def speedup(self, other: str) -> float | None:
        """restsync rows/s divided by ``other``'s."""
        mine, theirs = self.get("restsync"), self.get(other)
        if mine is None or theirs is None or not theirs.rows_per_s:
            return None
        return mine.rows_per_s / theirs.rows_per_s

    @property
    def ideal_seconds(self) -> float:
        """requests x latency / concurrency (the fan-out floor)."""
        d = self.scenario.dataset
        return self.scenario.requests * d.latency_ms / 1000 / self.concurrency


def _x(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}x"


def results_table(summaries: list[Summary]) -> str:
    lines = ["| scenario | tool | wall s (min-max) | rows/s | peak RSS MB | CPU s | load | "
             "rows (root) | check |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for s in summaries:
        for tool, r in s.results.items():
            runs = s.runs[tool]
            spread = ""
            if len(runs) > 1 and all(x.error is None for x in runs):
                spread = f" ({min(x.seconds for x in runs):.2f}-{max(x.seconds for x in runs):.2f})"
            if r.error:
                lines.append(f"| {s.scenario.name} | {tool} | - | - | {r.peak_rss_mb:,.0f} | - | - "
                             f"| - | FAILED: {r.error[:80]} |")
                continue
            ok = "ok" if r.rows == s.scenario.expected_rows and (
                r.distinct_ids is None or r.distinct_ids == r.rows) else "WRONG"
            lines.append(f"| {s.scenario.name} | {tool} | {r.seconds:,.2f}{spread} | "
                         f"{r.rows_per_s:,.0f} | {r.peak_rss_mb:,.0f} | {r.cpu_s:,.1f} | "
                         f"{r.load_avg:.1f} | {r.rows:,} | {ok} |")
        for tool, why in s.skipped.items():
            lines.append(f"| {s.scenario.name} | {tool} | - | - | - | - | - | - | {why} |")
    return "\n".join(lines)


PEERS = ("dlt-default", "dlt-fast", "airbyte-cdk", "ceiling", "fetch")
"""What restsync's rows/s is divided by in the ratios table (``ceiling``: fetch + orjson
parse, no load; ``fetch``: bytes fetched, nothing parsed)."""


def ratios_table(summaries: list[Summary]) -> str:
    head = " | ".join(f"restsync / {p}" for p in PEERS)
    lines = [f"| scenario | {head} | CPU s per 1k rows: {', '.join(('restsync', *PEERS))} |",
             "|---|" + "---:|" * len(PEERS) + "---|"]
    for s in summaries:
        cells = [_x(s.speedup(p), 2 if p in ("ceiling", "fetch") else 1) for p in PEERS]
        cpu = []
        for tool in ("restsync", *PEERS):
            r = s.get(tool)
            cpu.append(f"{r.cpu_s * 1000 / r.rows:.3f}" if r and r.rows else "-")
        lines.append(f"| {s.scenario.name} | {' | '.join(cells)} | {', '.join(cpu)} |")
    return "\n".join(lines)


def _settled(summary: Summary) -> int | None:
    """The in-flight limit restsync's run settled at (from its note), if it said."""
    mine = summary.get("restsync")
    found = re.search(r"settled at (\d+)", mine.note) if mine else None
    return int(found.group(1)) if found else None


def targets_table(summaries: list[Summary], check_times: list[float]) -> str:
    """The targets of issue 13, each with what was measured."""
    by = {s.scenario.name: s for s in summaries}
    rows: list[tuple[str, str, bool | None]] = []

    def add(target: str, value: float | None, fmt: str, ok: bool | None) -> None:
        rows.append((target, "-" if value is None else fmt.format(value),
                     None if value is None else ok))

    bulk = by.get("bulk")
    if bulk and (mine := bulk.get("restsync")):
        fetch = bulk.speedup("fetch")
        add("bulk: >= 100k rows/s end to end", mine.rows_per_s, "{:,.0f} rows/s",
            mine.rows_per_s >= 100_000)
        add("bulk: or >= 0.6 of the fetch-only ceiling (when that is lower)", fetch,
            "{:.2f}", fetch is not None and fetch >= 0.6)
        for peer in ("dlt-fast", "airbyte-cdk"):
            v = bulk.speedup(peer)
            add(f"bulk: >= 15x {peer}", v, "{:.1f}x", v is not None and v >= 15)
    merge = by.get("merge")
    if merge and bulk and (m := merge.get("restsync")) and (b := bulk.get("restsync")):
        ratio = m.rows_per_s / b.rows_per_s
        add("merge: >= 0.8 of bulk rows/s", ratio, "{:.2f}", ratio >= 0.8)
    big = by.get("1m")
    if big and bulk and (mine := big.get("restsync")) and (base := bulk.get("restsync")):
        delta = mine.peak_rss_mb - base.peak_rss_mb
        add("1m: peak RSS within 100 MB of the 200k run", delta, "{:+,.0f} MB", delta <= 100)
    fan = by.get("fanout")
    if fan:
        v = fan.speedup("dlt-default")
        add("fanout (restsync at its defaults): >= 25x dlt-default", v, "{:.1f}x",
            v is not None and v >= 25)
        settled, mine = _settled(fan), fan.get("restsync")
        if settled and mine:
            floor = fan.scenario.requests * fan.scenario.dataset.latency_ms / 1000 / settled
            ratio = mine.seconds / floor
            add(f"fanout: wall vs requests*latency/{settled} (the limit it settled at; "
                f"{floor:.2f} s)", ratio, "{:.2f}x", None)
    faults = by.get("faults")
    if faults and bulk and (mine := faults.get("restsync")) and (base := bulk.get("restsync")):
        ratio = mine.seconds / base.seconds
        add("faults: wall <= 1.3x of bulk", ratio, "{:.2f}x", ratio <= 1.3)
        complete = mine.rows == faults.scenario.expected_rows and mine.distinct_ids == mine.rows
        rows.append(("faults: all rows, no duplicates", f"{mine.rows:,} rows, "
                     f"{mine.distinct_ids:,} distinct", complete))
    if check_times:
        median = statistics.median(check_times)
        add("`restsync check` seed 000 < 0.5 s incl. interpreter start", median, "{:.3f} s",
            median < 0.5)
    lines = ["| target | measured | met |", "|---|---:|---|"]
    for target, value, ok in rows:
        lines.append(f"| {target} | {value} | {'-' if ok is None else ('yes' if ok else 'NO')} |")
    return "\n".join(lines)


def notes_table(summaries: list[Summary]) -> str:
    """What the tools said about their runs (restsync: where its concurrency settled)."""
    lines = [f"- {s.scenario.name} {tool}: {r.note}" for s in summaries
             for tool, r in s.results.items() if r.note and r.error is None]
    return "\n".join(lines)


def lakes_table(summaries: list[Summary]) -> str:
    """Lake formats next to DuckDB and dlt's Delta (rows/s and wall time ratios)."""
    lines = ["| scenario | restsync DuckDB rows/s | restsync Delta | restsync Iceberg | "
             "dlt Delta | restsync Delta / dlt Delta | restsync Iceberg / dlt Delta |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        got = {t: s.get(t) for t in ("restsync", "restsync-delta", "restsync-iceberg",
                                     "dlt-delta")}
        if not any(got[t] for t in ("restsync-delta", "restsync-iceberg", "dlt-delta")):
            continue
        rate = {t: r.rows_per_s if r else None for t, r in got.items()}
        cells = [f"{rate[t]:,.0f}" if rate[t] else "-" for t in got]
        ratios = [_x(a / b) if (a := rate[t]) and (b := rate["dlt-delta"]) else "-"
                  for t in ("restsync-delta", "restsync-iceberg")]
        lines.append(f"| {s.scenario.name} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def render(summaries: list[Summary], check_times: list[float]) -> str:
    """All tables of a run, as markdown."""
    parts = ["### Results (medians)", results_table(summaries), "",
             "### Ratios (rows/s, same invocation)", ratios_table(summaries), "",
             "### Targets of issue 13", targets_table(summaries, check_times)]
    notes = notes_table(summaries)
    if notes:
        parts += ["", "### Notes", notes]
    lakes = lakes_table(summaries)
    if lakes:
        parts += ["", "### Lake formats (rows/s, same invocation)", lakes]
    problems = [f"- {s.scenario.name}: {p}" for s in summaries for p in s.problems()]
    if problems:
        parts += ["", "### Problems", *problems]
    return "\n".join(parts)
