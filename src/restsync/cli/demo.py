"""``restsync demo`` and ``restsync sandbox serve``: the seed documents against loopback APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from restsync.errors import RestsyncError

SAMPLE_QUERY = """\
SELECT m.id, m.thread_id, count(l.value) AS labels
FROM email_api.messages_details AS m
LEFT JOIN email_api.messages_details__label_ids AS l ON l._dlt_parent_id = m._dlt_id
GROUP BY ALL ORDER BY m.id LIMIT 5"""


def _values(info: Any) -> Any:
    from restsync.spec.values import ValueResolver

    return ValueResolver.from_values(secrets=info.secrets, config=info.config)


def run_demo(console: Console, destination: str, documents: Path) -> int:
    """Start all sandboxes, run each seed document into ``destination``, print summaries.

    Returns:
        The exit code: 0 when every resource of every document completed.
    """
    from restsync.cli.render import ProgressRenderer, summary_table
    from restsync.engine import Pipeline
    from restsync.sandbox import start_sandboxes
    from restsync.spec import load_spec

    if not documents.is_dir():
        console.print(f"error: no folder {documents} (run from the repository root or pass "
                      f"--documents)", style="red")
        return 2
    code = 0
    with start_sandboxes() as group:
        for info in group.info():
            doc = documents / f"{info.name}.md"
            console.rule(f"{doc}  (sandbox {info.base_url})")
            try:
                source = load_spec(doc, overrides=info.overrides, params=info.params,
                                   values=_values(info))
                with ProgressRenderer(console) as renderer:
                    result = Pipeline(destination=destination, events=renderer).run(source)
            except RestsyncError as exc:
                console.print(f"error: {exc}", style="red", markup=False)
                code = 2
                continue
            console.print(summary_table(result))
            if not result.ok:
                code = 1
    _print_tables(console, destination)
    return code


def _print_tables(console: Console, destination: str) -> None:
    import duckdb

    path = destination.removeprefix("duckdb:///").split("?", 1)[0]
    con = duckdb.connect(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
            "WHERE NOT table_name LIKE '\\_restsync%' ESCAPE '\\' "
            "AND schema_name NOT LIKE '%staging' ORDER BY 1, 2").fetchall()
        table = Table(title=f"tables in {path}", title_justify="left")
        for col in ("dataset", "table", "rows"):
            table.add_column(col, justify="right" if col == "rows" else "left")
        for schema, name, _ in rows:
            (count,) = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone() or (0,)
            table.add_row(schema, name, str(count))
        console.print(table)
        console.print("sample query:\n" + SAMPLE_QUERY)
        try:
            result = con.execute(SAMPLE_QUERY)
            names = [d[0] for d in result.description]
            sample = Table(*names)
            for row in result.fetchall():
                sample.add_row(*map(str, row))
            console.print(sample)
        except duckdb.Error as exc:
            console.print(f"(sample query failed: {exc})", style="red", markup=False)
    finally:
        con.close()


def serve_sandboxes(console: Console, host: str) -> None:
    """Serve every sandbox until Ctrl-C, printing the overrides and values for each."""
    from restsync.sandbox import serve_forever

    def started(infos: list[Any]) -> None:
        for info in infos:
            console.rule(info.name)
            console.print(f"base_url  {info.base_url}")
            if info.token_url:
                console.print(f"token_url {info.token_url}")
            env = " ".join(f"{k.upper()}={v}" for k, v in {**info.secrets,
                                                           **info.config}.items())
            sets = " ".join(f"--set {o}" for o in info.overrides)
            console.print(f"{env} restsync run examples/seeds/{info.name}.md {sets}",
                          markup=False, soft_wrap=True)
        console.print("serving; Ctrl-C stops", style="bold")

    serve_forever(host=host, on_started=started)
