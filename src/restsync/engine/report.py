"""A run's report: one self-contained static HTML file (``restsync report``).

Everything is inline: the CSS, the charts (SVG, :mod:`restsync.engine.report_charts`); there
is no script and no reference to anything outside the file, so it opens from disk and makes
no request. It shows a summary, per-resource figures with a timeline of pages and waits,
requests/retries/429s over time, rows per table, schema changes, errors, notes, state before
and after, and the other runs of the dataset (linked with ``--all``, which also writes an
index page).

What it shows comes from the run history (:mod:`restsync.engine.runs`), which is redacted
when recorded; URLs found anywhere in it are passed through
:func:`~restsync.extract.redact.redact_url` once more before rendering.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from restsync.engine.history import redacted_destination
from restsync.engine.report_charts import activity_chart, resource_timeline, table_bars
from restsync.engine.runs import find_run
from restsync.extract.redact import redact_url

Link = Callable[[str], str | None]
"""A run id -> the report file to link to (None: not written, shown as text)."""

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;
background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:18px 24px 60px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid
#ddd;padding-bottom:4px}h3{font-size:14px;margin:14px 0 4px}
.muted{color:#777}.meta{color:#555;margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid #ddd;
border-radius:6px;padding:8px 14px;min-width:110px}.card b{display:block;font-size:20px}
.card span{color:#666;font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #e2e2e2;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f2f5;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bar{width:35%}td.bar i{display:block;height:10px;background:#4a78b5;border-radius:2px}
pre{background:#fff;border:1px solid #e2e2e2;padding:8px;overflow:auto;max-height:320px;
white-space:pre-wrap;word-break:break-word;margin:4px 0}
.status-completed{color:#2d7d46}.status-failed,.status-error{color:#b3261e}
.status-stopped,.status-running{color:#a05a00}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.chart{width:100%;height:auto;background:#fff;border:1px solid #e2e2e2}
.axis,.lane{font-size:11px;fill:#555}.legend span{margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
nav a{margin-right:12px}
"""


@dataclass
class WrittenReports:
    """What :func:`write_report` wrote: the files and the run ids they show."""

    files: list[Path]
    run_ids: list[str]


def write_report(output: Path, *, destination: str | None = None,
                 dataset: str | None = None, run_id: str | None = None,
                 all_runs: bool = False) -> WrittenReports:
    """Write the report of one run (the newest without ``run_id``) to ``output``.

    With ``all_runs``, ``output`` is an index of the dataset's runs and each run's report
    is written next to it as ``<stem>-<run id>.html``, linked to its previous and next.

    Raises:
        DestinationError: The history cannot be read, or names no such run.
    """
    run, siblings = find_run(destination, dataset, run_id)
    if not all_runs:
        output.write_text(render_run(run, siblings, lambda _: None), encoding="utf-8")
        return WrittenReports([output], [run["run_id"]])

    def link(rid: str) -> str:
        return f"{output.stem}-{_file_safe(rid)}.html"

    files = []
    for each in siblings:
        path = output.with_name(link(each["run_id"]))
        path.write_text(render_run(each, siblings, link, index=output.name), encoding="utf-8")
        files.append(path)
    output.write_text(render_index(siblings, link), encoding="utf-8")
    return WrittenReports([output, *files], [r["run_id"] for r in siblings])


def _file_safe(run_id: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]", "_", run_id)


def scrubbed(value: Any) -> Any:
    """``value`` with every URL in every string redacted (HTTP URLs: credential-like query
    values and userinfo; other URLs, such as destinations: passwords)."""
    if isinstance(value, str):
        return _URL.sub(lambda m: _redacted(m.group(0)), value)
    if isinstance(value, Mapping):
        return {scrubbed(k): scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v) for v in value]
    return value


def _redacted(url: str) -> str:
    if url.lower().startswith(("http://", "https://")):
        return redact_url(url)
    return redacted_destination(url)  # keeps duckdb:////abs/path as it is


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def _status(status: Any) -> str:
    text = escape(str(status))
    return f"<span class='status-{text}'>{text}</span>"


def _card(key: str, label: str, value: Any) -> str:
    return f"<div class='card' id='card-{key}'><b>{escape(str(value))}</b><span>{label}</span></div>"


def render_run(run: Mapping[str, Any], siblings: Sequence[Mapping[str, Any]], link: Link, *,
               index: str | None = None) -> str:
    """The HTML page of one run (``siblings``: every run of its dataset, newest first)."""
    run = scrubbed(run)
    totals = run["totals"]
    resources: dict[str, dict[str, Any]] = run.get("resources") or {}
    title = f"restsync run {run['run_id']} ({run.get('source') or run['dataset']})"
    seconds = run.get("seconds")
    by_status = ", ".join(f"{n} {s}" for s, n in sorted(totals["resources"].items())) or "none"
    body = [f"<h1>{escape(title)}</h1>",
            f"<p class='meta'>dataset <b>{escape(run['dataset'])}</b> &middot; "
            f"{escape(str(run.get('destination') or ''))} &middot; status "
            f"<b id='run-status'>{_status(run.get('status'))}</b> &middot; "
            f"{escape(str(run.get('started_at') or '?'))} &rarr; "
            f"{escape(str(run.get('finished_at') or 'not finished'))}</p>",
            _nav(run, siblings, link, index),
            "<h2>Summary</h2><div class='cards'>",
            _card("rows", "rows loaded", totals["rows"]),
            _card("resources", "resources", by_status),
            _card("requests", "requests", totals["requests"]),
            _card("retries", "retries", totals["retries"]),
            _card("throttled", "429 responses", totals["throttled"]),
            _card("waited", "seconds waiting", totals["wait_seconds"]),
            _card("seconds", "seconds", "-" if seconds is None else f"{seconds:.2f}"),
            "</div>", _executor(run)]
    if run.get("error"):
        body.append(f"<h3>Run error</h3><pre class='error'>{escape(str(run['error']))}</pre>")
    body += ["<h2>Resources</h2>", _resource_table(resources),
             resource_timeline(resources, float(seconds or 0)),
             "<h2>Requests, retries and 429s over time</h2>",
             activity_chart(run.get("timeline") or {}),
             "<h2>Rows per table</h2>", table_bars(_tables(resources)),
             "<h2>Schema changes</h2>", _per_resource(resources, "schema_changes"),
             "<h2>Errors</h2>", _errors(resources),
             "<h2>Notes</h2>", _notes(run, resources),
             "<h2>State before and after</h2>", _states(resources),
             "<h2>Runs of this dataset</h2>", _runs_table(siblings, link, run["run_id"])]
    return _page(title, "".join(body))


def _nav(run: Mapping[str, Any], siblings: Sequence[Mapping[str, Any]], link: Link,
         index: str | None) -> str:
    ids = [r["run_id"] for r in siblings]
    at = ids.index(run["run_id"]) if run["run_id"] in ids else -1
    parts = []
    if index:
        parts.append(f"<a href='{escape(index)}'>all runs</a>")
    for label, pos in (("previous", at + 1), ("next", at - 1)):
        if at >= 0 and 0 <= pos < len(ids):
            parts.append(f"{label}: {_run_ref(ids[pos], link, rel=label[:4])}")
    return f"<nav>{' '.join(parts)}</nav>" if parts else ""


def _run_ref(run_id: str, link: Link, rel: str = "") -> str:
    target = link(run_id)
    if target is None:
        return f"<code>{escape(run_id)}</code>"
    rel_attr = f" rel='{rel}'" if rel in ("prev", "next") else ""
    return f"<a href='{escape(target)}'{rel_attr}>{escape(run_id)}</a>"


def _executor(run: Mapping[str, Any]) -> str:
    ex = run.get("executor") or {}
    if not ex:
        return ""
    text = ", ".join(f"{k} {v}" for k, v in ex.items())
    return (f"<p class='muted'>mode {escape(str(run.get('mode', 'run')))} &middot; {escape(text)}"
            f" &middot; token refreshes {escape(str(run.get('token_refreshes', 0)))}</p>")


COLUMNS = ("status", "records", "pages", "requests", "retries", "throttled", "wait_seconds",
           "skipped_parents", "rows", "seconds")


def _resource_table(resources: Mapping[str, Mapping[str, Any]]) -> str:
    if not resources:
        return "<p class='muted'>No resource recorded.</p>"
    head = "".join(f"<th>{c.replace('_', ' ').replace('throttled', '429s')}</th>"
                   for c in COLUMNS)
    rows = []
    for name, r in sorted(resources.items()):
        values = dict(r, rows=sum((r.get("tables") or {}).values()) or r.get("rows") or 0)
        cells = "".join(
            f"<td>{_status(values.get(c))}</td>" if c == "status" else
            f"<td class='num' data-col='{c}'>{escape(str(values.get(c, '-')))}</td>"
            for c in COLUMNS)
        rows.append(f"<tr data-resource='{escape(name)}'><th>{escape(name)}</th>{cells}</tr>")
    return (f"<table id='resources'><thead><tr><th>resource</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _tables(resources: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    return [(name, table, int(rows)) for name, r in sorted(resources.items())
            for table, rows in sorted((r.get("tables") or {}).items())]


def _per_resource(resources: Mapping[str, Mapping[str, Any]], key: str) -> str:
    parts = [f"<h3>{escape(name)}</h3><ul>" + "".join(
        f"<li>{escape(str(item))}</li>" for item in r[key]) + "</ul>"
        for name, r in sorted(resources.items()) if r.get(key)]
    return "".join(parts) or "<p class='muted'>None.</p>"


def _errors(resources: Mapping[str, Mapping[str, Any]]) -> str:
    parts = [f"<h3>{escape(name)}</h3><pre class='error'>{escape(str(r['error']))}</pre>"
             for name, r in sorted(resources.items()) if r.get("error")]
    return "".join(parts) or "<p class='muted'>None.</p>"


def _notes(run: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> str:
    top = "".join(f"<li>{escape(str(n))}</li>" for n in run.get("notes") or [])
    return (f"<ul>{top}</ul>" if top else "") + _per_resource(resources, "notes")


def _states(resources: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for name, r in sorted(resources.items()):
        before, after = r.get("state_before"), r.get("state_after")
        if before is None and after is None:
            continue
        parts.append(f"<h3>{escape(name)}</h3><div class='pair'>"
                     f"<div>before<pre>{_json(before)}</pre></div>"
                     f"<div>after<pre>{_json(after)}</pre></div></div>")
    return "".join(parts) or "<p class='muted'>No state recorded.</p>"


def _json(value: Any) -> str:
    return escape(json.dumps(value, indent=2, sort_keys=True, default=str))


def _runs_table(siblings: Sequence[Mapping[str, Any]], link: Link,
                current: str | None = None) -> str:
    rows = []
    for r in siblings:
        mark = " &larr; this run" if r["run_id"] == current else ""
        rows.append(f"<tr><td>{_run_ref(r['run_id'], link)}{mark}</td>"
                    f"<td>{_status(r.get('status'))}</td>"
                    f"<td>{escape(str(r.get('started_at') or '-'))}</td>"
                    f"<td class='num'>{r['totals']['rows']}</td>"
                    f"<td class='num'>{r['totals']['requests']}</td></tr>")
    return ("<table id='runs'><thead><tr><th>run</th><th>status</th><th>started</th>"
            f"<th>rows</th><th>requests</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render_index(siblings: Sequence[Mapping[str, Any]], link: Link) -> str:
    """The index page of ``report --all``: every run of the dataset, newest first."""
    dataset = siblings[0]["dataset"] if siblings else ""
    title = f"restsync runs of {dataset}"
    return _page(title, f"<h1>{escape(title)}</h1>" + _runs_table(scrubbed(list(siblings)), link))
