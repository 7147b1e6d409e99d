"""What a destination can do, asked before a run sends anything.

A destination declares the table formats it writes as ``table_formats`` (a set of names such
as ``{"delta", "iceberg"}``); a destination that declares none supports none. A resource
whose ``table_format`` the destination lacks is refused with a located error.
"""

from __future__ import annotations

from restsync.errors import SpecError, SpecIssue
from restsync.load import Destination
from restsync.plan import Plan

__all__ = ["check_table_formats"]


def check_table_formats(plan: Plan, destination: Destination, url: str) -> None:
    """Refuse the run when a loaded resource asks for a table format the destination lacks.

    Raises:
        SpecError: One located issue per such resource (nothing was sent).
    """
    supported = destination.table_formats
    issues = [
        SpecIssue(f"resources[{rp.name}].table_format",
                  f"{rp.config.table_format} tables are not supported by the destination "
                  f"{url.split('://', 1)[0]} (it supports: "
                  f"{', '.join(sorted(supported)) or 'no table formats'}); remove "
                  "table_format or load into a destination that writes them")
        for rp in plan.to_run() if rp.load and rp.config.table_format is not None
        and rp.config.table_format not in supported]
    if issues:
        raise SpecError(issues)
