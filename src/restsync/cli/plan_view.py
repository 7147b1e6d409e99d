"""How ``restsync check`` prints a plan: the resources in run order, auth, retries, inferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from restsync.plan import Plan, ResourcePlan


def _paginator_text(rp: ResourcePlan) -> str:
    p = rp.paginator
    if p is None:
        return "single request"
    fields = p.model_dump(exclude_none=True, exclude={"type"}, exclude_defaults=True)
    inner = ", ".join(f"{k}={v}" for k, v in fields.items())
    return f"{p.type}({inner})" if inner else p.type


def plan_table(plan: Plan) -> Table:
    """A table of every resource in run order with how it will be fetched and loaded."""
    table = Table(title=f"source `{plan.source.name}`: {plan.source.client.base_url}",
                  title_justify="left", show_lines=False)
    for col in ("resource", "request", "paginator", "selector", "parent", "load"):
        table.add_column(col, overflow="fold")
    for name in plan.order:
        rp = plan.resources[name]
        ep = rp.config.endpoint
        parent = "-"
        if rp.parent:
            parent = rp.parent + "".join(
                f"\n  {{{b.placeholder}}} <- {b.resource}.{b.field}"
                for b in rp.bindings if b.kind == "resource")
        for b in rp.fanout_params:
            parent = (parent if parent != "-" else "") + (
                f"\n  {{{b.placeholder}}} <- {', '.join(map(str, b.values))}")
        load: str = rp.config.write_disposition
        if rp.config.write_disposition == "merge":
            load += f" on {rp.config.primary_key}" + (
                f", merge key {rp.config.merge_key}" if rp.config.merge_key else "")
        if ep.incremental is not None:
            load += f"\nincremental {ep.incremental.cursor_path}"
        if not rp.load:
            load = "not loaded (feeds children)"
        table.add_row(name, f"{ep.method} {ep.path}", _paginator_text(rp),
                      _selector_text(ep.data_selector), parent.strip(), load)
    return table


def _selector_text(selector: str | None) -> str:
    if selector is None:
        return "(detected at run time)"
    return "(whole body)" if selector == "$" else selector


def print_plan(console: Console, plan: Plan) -> None:
    """Print the plan, auth, the inferences and run-time rules."""
    client = plan.source.client
    auth = client.auth
    auth_text = "none"
    if auth is not None:
        auth_text = auth.type
        url = getattr(auth, "token_url", None) or getattr(auth, "access_token_url", None)
        if url:
            auth_text += f" (token endpoint {url})"
    console.print(plan_table(plan))
    console.print(f"auth: {auth_text}; retries: " + "; ".join(
        f"{','.join(map(str, r.statuses))} x{r.max_retries} "
        + (f"constant {r.constant}s" if r.constant is not None else f"backoff {r.backoff_factor}")
        for r in client.retry.rules))
    console.print(Text("inferences (what the spec did not say):", style="bold"))
    if not plan.inferences:
        console.print("  none")
    for inf in plan.inferences:
        console.print(Text(f"  - {inf.message}"), Text(f"  [{inf.path}]", style="dim"))
    rules = []
    if any(r.config.write_disposition == "merge" for r in plan.resources.values()):
        rules.append("merge resources whose records carry no primary-key value are loaded "
                     "as replace (a snapshot); the summary says so")
    if any(r.parent or r.fanout_params for r in plan.resources.values()):
        rules.append("a child request answering 404/410 skips that parent item (counted in the "
                     "summary); the resource fails when every parent item does")
    if rules:
        console.print(Text("run-time rules:", style="bold"))
        for rule in rules:
            console.print(f"  - {rule}")
