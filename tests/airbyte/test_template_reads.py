"""What a template reads of a variable (``Template.keys_read``), from a table."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.spec.airbyte.interpolation import Template


@pytest.mark.parametrize(("text", "keys"), [
    ("{{ response.next }}", {"next"}),
    ("{{ response['next'] }}", {"next"}),
    ("{{ response.get('paging', {}).get('next', '') }}", {"paging"}),
    ("{{ not response.get('paging', {}).get('next') }}", {"paging"}),
    ("{{ response.meta.next if response.meta.more else '' }}", {"meta"}),
    ("{{ response['links']['next'] or response.cursor }}", {"links", "cursor"}),
    ("{{ headers.link.next.url }}", set()),  # does not use it
    ("plain text", set()),
    ("{{ config.page_size }}", set()),
    ("{{ response }}", None),  # the whole of it
    ("{{ response | tojson }}", None),
    ("{{ response[config.key] }}", None),  # a key computed at render time
    ("{{ response.get(config.key) }}", None),
    ("{{ response.get }}", None),
    ("{{ response.items() | list }}", None),  # a dict method, not a key
    ("{{ response.values }}", None),
    ("{% set r = response %}{{ r.next }}", None),
    ("{{ response.data | length < 100 }}", {"data"}),
    ("{{ response.get('data', [])[-1].id }}", {"data"}),
])
def test_keys_read_of_response(text: str, keys: set[str] | None) -> None:
    found = Template(text).keys_read("response")
    assert found == (frozenset(keys) if keys is not None else None)


def test_last_record_is_seen_however_it_is_used() -> None:
    assert Template("{{ last_record.id }}").keys_read("last_record") == frozenset({"id"})
    assert Template("{{ last_record }}").keys_read("last_record") is None
    assert Template("{{ response.next }}").keys_read("last_record") == frozenset()


def test_a_template_works_out_what_it_reads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # asked for every page sequence: a fan-out of thousands of partitions asks as often
    from restsync.spec.airbyte import interpolation

    calls: list[str] = []
    original = interpolation.keys_read

    def counted(tree: Any, name: str) -> frozenset[str] | None:
        calls.append(name)
        return original(tree, name)

    monkeypatch.setattr(interpolation, "keys_read", counted)
    template = Template("{{ response.meta.next }}")
    for _ in range(3):
        assert template.keys_read("response") == frozenset({"meta"})
        assert template.keys_read("last_record") == frozenset()
    assert calls == ["response", "last_record"]
