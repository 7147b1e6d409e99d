"""YAML with a comment above each value: the data survives, comments land where they belong."""

from __future__ import annotations

import yaml

from restsync.spec.yaml_writer import dump_with_comments

DATA = {
    "name": "src",
    "client": {"base_url": "https://a.test/", "retry": {"rules": [{"statuses": [429, 500]}]}},
    "resources": [
        {"name": "items", "endpoint": {"path": "items", "params": {"q": "a: b", "n": None}},
         "columns": {}},
        {"name": "tags", "endpoint": {"path": "tags/{id}"}, "primary_key": ["a", "b"]},
    ],
    "odd": ["${x}", "multi\nline", 1.5, True, "yes", "007"],
}


def test_the_yaml_reads_back_as_the_data() -> None:
    assert yaml.safe_load(dump_with_comments(DATA, {})) == DATA


def test_comments_go_above_their_value_and_unset_keys_are_named() -> None:
    text = dump_with_comments(DATA, {
        "client.retry": ["from the prose"],
        "resources[tags].endpoint.path": ["a path", "two notes"],
        "resources[items].endpoint.data_selector": ["detected at run time"],
        "resources[items]": ["about the resource"],
        "nowhere.at.all": ["kept at the top"],
    }, header=["header line"])
    lines = text.splitlines()
    assert lines[0] == "# header line"
    assert lines[1] == "# nowhere.at.all: kept at the top"
    assert lines[lines.index("  retry:") - 1] == "  # from the prose"
    at = lines.index("    path: tags/{id}")
    assert lines[at - 2:at] == ["    # a path", "    # two notes"]
    assert "    # data_selector (not set): detected at run time" in lines
    assert lines[lines.index("- name: items") - 1] == "# about the resource"
    assert yaml.safe_load(text) == DATA
