"""``import_spec``: every inference written out, references kept, the plan unchanged."""

from __future__ import annotations

from pathlib import Path

import yaml

from restsync.engine.importer import import_spec
from restsync.plan import build_plan
from restsync.spec import load_spec

DOC = '''
# Source

```python
source = rest_api_source({
    "client": {"base_url": "https://api.test/", "auth": {"type": "bearer",
                                                         "token": dlt.secrets["api_token"]}},
    "resources": [
        {"name": "groups", "endpoint": {"path": "/groups", "data_selector": "data",
                                         "paginator": {"type": "cursor", "cursor_param": "c",
                                                       "cursor_path": "next", "limit": 10}}},
        {"name": "members", "endpoint": {"path": "/groups/{group_id}/{kind}/members",
                                          "params": {"since": dlt.config["since"],
                                                     "tag": "${{not a ref}}"}}},
    ],
})
```
'''


def flat(text: str) -> str:
    """The comments as one line (they are wrapped)."""
    return " ".join(line.strip().lstrip("# ") for line in text.splitlines()
                    if line.strip().startswith("#"))


def written(tmp_path: Path, **kwargs: object) -> tuple[str, dict]:
    doc = tmp_path / "groups_api.md"
    doc.write_text(DOC)
    imported = import_spec(doc, **kwargs)  # type: ignore[arg-type]
    return imported.text, yaml.safe_load(imported.text)


def test_inferences_are_written_as_configuration_with_their_comment(tmp_path: Path) -> None:
    text, spec = written(tmp_path, params={"kind": ["admin", "guest"]})
    assert spec["name"] == "groups_api"
    groups, members = spec["resources"]
    assert groups["endpoint"]["paginator"]["limit_param"] == "limit"
    assert "page size 10 sent as `limit` (set paginator.limit_param to rename)" in flat(text)
    assert members["endpoint"]["params"]["group_id"] == {
        "type": "resolve", "resource": "groups", "field": "id"}
    assert "`{group_id}` bound to `groups.id`" in flat(text)
    assert "kind" not in members["endpoint"]["params"]  # a --param placeholder stays one
    assert "--param kind=admin,guest" in flat(text)
    assert members["endpoint"]["paginator"] == {"type": "auto"}
    assert members["endpoint"]["data_selector"] is None  # detected at run time, said so:
    assert "records found on the first response (dlt's detection" in flat(text)


def test_secrets_and_config_values_stay_references(tmp_path: Path) -> None:
    _, spec = written(tmp_path)
    assert spec["client"]["auth"] == {"type": "bearer", "token": "${secrets.api_token}"}
    params = spec["resources"][1]["endpoint"]["params"]
    assert params["since"] == "${config.since}"
    assert params["tag"] == "$${{not a ref}}"  # a literal `${` is escaped


def test_the_written_spec_plans_the_same_requests(tmp_path: Path) -> None:
    text, _ = written(tmp_path, params={"kind": ["admin"]})
    out = tmp_path / "spec.yaml"
    out.write_text(text)
    plans = [build_plan(load_spec(path, params={"kind": ["admin"]}, resolve_values=False))
             for path in (tmp_path / "groups_api.md", out)]
    for a, b in zip(*(p.resources.values() for p in plans), strict=True):
        assert a.name == b.name and a.parent == b.parent
        assert [(x.resource, x.field, x.column, x.values) for x in a.bindings] == \
            [(x.resource, x.field, x.column, x.values) for x in b.bindings]
        assert a.paginator == b.paginator
        assert a.config.endpoint.data_selector == b.config.endpoint.data_selector
