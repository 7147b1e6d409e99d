"""Inline SVG charts of a run's report (no script, no external asset).

* :func:`activity_chart`: requests, retries and 429s per time bucket of the run's timeline.
* :func:`resource_timeline`: one lane per resource from its start to its end, its pages as
  ticks and its retry waits as red bars.
* :func:`table_bars`: rows per table as horizontal bars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 760
LANE = 22
LEFT = 170
COLORS = {"requests": "#4a78b5", "retries": "#d08a2e", "throttled": "#c0392b",
          "pages": "#3b8f5a", "wait": "#c0392b"}


def _series(timeline: Mapping[str, Any], name: str) -> list[int]:
    names = list(timeline.get("series") or [])
    if name not in names:
        return []
    index = names.index(name)
    return [int(b[index]) for b in timeline.get("buckets") or []]


def activity_chart(timeline: Mapping[str, Any]) -> str:
    """Grouped bars: requests, retries and 429s per bucket, with the bucket width shown."""
    names = ("requests", "retries", "throttled")
    data = {n: _series(timeline, n) for n in names}
    buckets = max((len(v) for v in data.values()), default=0)
    if buckets == 0:
        return "<p class='muted'>No requests recorded.</p>"
    top = max(max(v, default=0) for v in data.values()) or 1
    height, plot = 170, 130
    step = (WIDTH - 50) / buckets
    bar = max(step / 3 - 0.5, 0.5)
    parts = [f"<svg class='chart' role='img' viewBox='0 0 {WIDTH} {height}' "
             f"aria-label='requests, retries and 429s over time'>",
             f"<line x1='40' y1='{plot + 10}' x2='{WIDTH - 10}' y2='{plot + 10}' "
             "stroke='#999'/>",
             f"<text x='36' y='18' text-anchor='end' class='axis'>{top}</text>",
             f"<text x='36' y='{plot + 10}' text-anchor='end' class='axis'>0</text>"]
    for i in range(buckets):
        for j, name in enumerate(names):
            values = data[name]
            value = values[i] if i < len(values) else 0
            if not value:
                continue
            h = plot * value / top
            x = 40 + i * step + j * bar
            parts.append(f"<rect x='{x:.1f}' y='{plot + 10 - h:.1f}' width='{bar:.1f}' "
                         f"height='{h:.1f}' fill='{COLORS[name]}'><title>{name}: {value} "
                         f"at {i * timeline['width']:.2f}s</title></rect>")
    total = buckets * float(timeline.get("width") or 0)
    parts.append(f"<text x='40' y='{height - 8}' class='axis'>0 s</text>"
                 f"<text x='{WIDTH - 10}' y='{height - 8}' text-anchor='end' class='axis'>"
                 f"{total:.2f} s (buckets of {timeline.get('width')} s)</text></svg>")
    return "".join(parts) + _legend(names)


def _legend(names: Sequence[str]) -> str:
    labels = {"throttled": "429s", "wait": "retry waits"}
    return "<p class='legend'>" + " ".join(
        f"<span><i style='background:{COLORS[n]}'></i>{labels.get(n, n)}</span>"
        for n in names) + "</p>"


def resource_timeline(resources: Mapping[str, Mapping[str, Any]], seconds: float) -> str:
    """One lane per resource: its span, its pages (ticks) and its retry waits (red bars)."""
    if not resources:
        return ""
    end = max([seconds or 0.0] + [float(r.get("offset_seconds") or 0) +
                                  float(r.get("seconds") or 0) for r in resources.values()])
    end = end or 1.0
    scale = (WIDTH - LEFT - 10) / end
    height = LANE * len(resources) + 24
    parts = [f"<svg class='chart' role='img' viewBox='0 0 {WIDTH} {height}' "
             "aria-label='resources over time'>"]
    for lane, (name, r) in enumerate(sorted(resources.items(),
                                            key=lambda kv: kv[1].get("offset_seconds") or 0)):
        y = lane * LANE + 4
        start = float(r.get("offset_seconds") or 0)
        span = max(float(r.get("seconds") or 0), end / 400)
        color = "#c0392b" if r.get("status") == "failed" else "#9db8d9"
        parts.append(f"<text x='{LEFT - 6}' y='{y + 13}' text-anchor='end' class='lane'>"
                     f"{escape(name)}</text>"
                     f"<rect x='{LEFT + start * scale:.1f}' y='{y + 2}' "
                     f"width='{span * scale:.1f}' height='{LANE - 8}' fill='{color}' rx='2'>"
                     f"<title>{escape(name)}: {start:.2f}s to {start + span:.2f}s</title>"
                     "</rect>")
        timeline = r.get("timeline") or {}
        width = float(timeline.get("width") or 0)
        for i, pages in enumerate(_series(timeline, "pages")):
            if pages:
                x = LEFT + (i + 0.5) * width * scale
                parts.append(f"<line x1='{x:.1f}' y1='{y + 2}' x2='{x:.1f}' "
                             f"y2='{y + LANE - 6}' stroke='{COLORS['pages']}' "
                             f"stroke-width='2'><title>{pages} page(s)</title></line>")
        for at, wait, reason in r.get("waits") or []:
            parts.append(f"<rect x='{LEFT + float(at) * scale:.1f}' y='{y + LANE - 7}' "
                         f"width='{max(float(wait) * scale, 1.5):.1f}' height='4' "
                         f"fill='{COLORS['wait']}'><title>waited {float(wait):.2f}s: "
                         f"{escape(str(reason))}</title></rect>")
    parts.append(f"<text x='{LEFT}' y='{height - 4}' class='axis'>0 s</text>"
                 f"<text x='{WIDTH - 10}' y='{height - 4}' text-anchor='end' class='axis'>"
                 f"{end:.2f} s</text></svg>")
    return "".join(parts) + _legend(("pages", "wait"))


def table_bars(tables: Sequence[tuple[str, str, int]]) -> str:
    """``(resource, table, rows)`` rows as an HTML table with proportional bars."""
    if not tables:
        return "<p class='muted'>No rows loaded.</p>"
    top = max(rows for _, _, rows in tables) or 1
    body = "".join(
        f"<tr><td>{escape(resource)}</td><td>{escape(table)}</td>"
        f"<td class='num' data-table='{escape(table)}'>{rows}</td><td class='bar'>"
        f"<i style='width:{100 * rows / top:.1f}%'></i></td></tr>"
        for resource, table, rows in tables)
    return ("<table id='rows-per-table'><thead><tr><th>resource</th><th>table</th>"
            f"<th>rows</th><th></th></tr></thead><tbody>{body}</tbody></table>")
