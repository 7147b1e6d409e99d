"""How ``restsync preview`` prints a preview as text: one block per resource (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from restsync.engine.preview_views import (
        PageView,
        RequestView,
        ResourceSample,
        SequenceView,
        SourcePreview,
    )

RECORD_CHARS = 400


def print_preview(out: Console, result: SourcePreview) -> None:
    """Print a preview as text: one block per resource."""
    for sample in result.resources:
        _print_sample(out, sample)
    failed = [s.resource for s in result.resources if s.failed]
    warned = [s.resource for s in result.resources
              if s.warnings or any(p.warnings for q in s.sequences for p in q.pages)]
    out.print(Text(f"{len(result.resources)} resource(s) previewed; nothing was written",
                   style="bold"))
    if failed:
        out.print(Text(f"errors in: {', '.join(failed)}", style="red"))
    if warned:
        out.print(Text(f"warnings in: {', '.join(warned)}", style="yellow"))


def _line(out: Console, text: str, style: str = "", indent: int = 0) -> None:
    out.print(Text(" " * indent + text, style=style), soft_wrap=True)


def _print_sample(out: Console, s: ResourceSample) -> None:
    out.rule(Text(f"{s.resource}: {s.request}", style="bold"), align="left")
    facts = [f"paginator {s.paginator}",
             f"selector {s.selector if s.selector is not None else '(detected)'}"]
    if s.parent:
        facts.append(f"child of {s.parent}")
    if not s.loaded:
        facts.append("not loaded (feeds its children)")
    _line(out, "; ".join(facts), "dim")
    for text in s.inferences:
        _line(out, f"inferred: {text}", "cyan")
    if s.error:
        _line(out, f"ERROR {s.error}", "red")
    for seq in s.sequences:
        _print_sequence(out, seq)
    for text in s.warnings:
        _line(out, f"WARNING {text}", "yellow")
    if s.records:
        _line(out, f"first {len(s.records)} record(s):", "bold")
        import orjson

        for record in s.records:
            text = orjson.dumps(record, default=str).decode()
            _line(out, text if len(text) <= RECORD_CHARS else text[:RECORD_CHARS] + " ...",
                  indent=2)
    for table, columns in s.columns.items():
        _line(out, f"table {table}:", "bold")
        _line(out, ", ".join(f"{c} {t}" for c, t in columns.items()), indent=2)


def _print_sequence(out: Console, seq: SequenceView) -> None:
    if seq.label:
        _line(out, f"parent item {seq.label}", "bold")
    for page in seq.pages:
        _print_page(out, page)
    if seq.error is not None or seq.skipped is not None:
        for request in seq.error_requests:
            _print_request(out, request)
    if seq.error is not None:
        _line(out, f"ERROR {seq.error}", "red", indent=2)
    if seq.skipped is not None:
        _line(out, f"skipped: {seq.skipped}", "yellow", indent=2)
    if seq.stopped:
        _line(out, seq.stopped, "dim", indent=2)


def _print_page(out: Console, page: PageView) -> None:
    _line(out, f"page {page.number}", indent=1)
    for request in page.requests:
        _print_request(out, request)
    kept = f", {page.kept} kept" if page.kept != page.selected else ""
    _line(out, f"selector {page.selector}: {page.selected} record(s){kept}", indent=3)
    style = "green" if page.decision.startswith("next") else ""
    _line(out, f"paginator: {page.decision}", style, indent=3)
    for text in page.warnings:
        _line(out, f"WARNING {text}", "yellow", indent=3)


def _print_request(out: Console, r: RequestView) -> None:
    status = str(r.status) if r.status is not None else "failed"
    style = "red" if r.status is None or r.status >= 400 else ""
    kind = " (token request)" if r.kind == "token" else ""
    _line(out, f"{r.method} {r.url} -> {status} {r.seconds * 1000:.0f} ms "
               f"{r.content_type or '-'} {r.bytes} B{kind}", style, indent=3)
    if r.error:
        _line(out, r.error, "red", indent=5)
    if r.excerpt:
        _line(out, f"body: {r.excerpt}", "red", indent=5)
