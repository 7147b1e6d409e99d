"""append / replace / merge on real DuckDB files."""

import pytest

from restsync.errors import DestinationError
from restsync.load import Destination

from .conftest import count, rows, run_load


def events(ids: list[int], subject: str = "s") -> list[dict]:
    return [{"id": i, "subject": f"{subject}{i}", "tags": [f"{subject}-a", f"{subject}-b"]}
            for i in ids]


def test_append_adds_every_load(dest: Destination) -> None:
    report = run_load(dest, "events", [events([1, 2])], disposition="append")
    assert report.rows == {"events": 2, "events__tags": 4}
    assert report.disposition_applied == "append"
    run_load(dest, "events", [events([1, 2])], disposition="append", load_id="L2")
    assert (count(dest, "events"), count(dest, "events__tags")) == (4, 8)


def test_replace_swaps_root_and_children(dest: Destination) -> None:
    run_load(dest, "events", [events([1, 2, 3])], disposition="replace")
    report = run_load(dest, "events", [events([9], "new")], disposition="replace", load_id="L2")
    assert report.rows == {"events": 1, "events__tags": 2}
    assert rows(dest, "SELECT id, subject FROM DS.events") == [(9, "new9")]
    assert sorted(r[0] for r in rows(dest, "SELECT value FROM DS.events__tags")) == [
        "new-a", "new-b"]


def test_replace_does_not_touch_other_resources(dest: Destination) -> None:
    run_load(dest, "events", [events([1])], disposition="replace")
    run_load(dest, "events_archive", [events([5])], disposition="replace")
    run_load(dest, "events", [events([2])], disposition="replace", load_id="L2")
    assert count(dest, "events_archive") == 1 and count(dest, "events_archive__tags") == 2


def test_merge_second_identical_load_keeps_counts(dest: Destination) -> None:
    run_load(dest, "events", [events([1, 2]), events([3])])
    before = (count(dest, "events"), count(dest, "events__tags"))
    report = run_load(dest, "events", [events([1, 2]), events([3])], load_id="L2")
    assert report.disposition_applied == "merge"
    assert (count(dest, "events"), count(dest, "events__tags")) == before == (3, 6)


def test_merge_updated_record_replaces_old_row_and_its_children(dest: Destination) -> None:
    run_load(dest, "events", [events([1, 2])])
    run_load(dest, "events", [[{"id": 2, "subject": "changed", "tags": ["only"]}]],
             load_id="L2")
    assert rows(dest, "SELECT id, subject, _dlt_load_id FROM DS.events ORDER BY id") == [
        (1, "s1", "L1"), (2, "changed", "L2")]
    tags = rows(dest, "SELECT e.id, t.value FROM DS.events e JOIN DS.events__tags t "
                      "ON t._dlt_parent_id = e._dlt_id ORDER BY e.id, t._dlt_list_idx")
    assert tags == [(1, "s-a"), (1, "s-b"), (2, "only")]


def test_merge_dedups_within_run_last_wins(dest: Destination) -> None:
    pages = [events([1, 2], "old"), [{"id": 1, "subject": "newest", "tags": ["n"]}]]
    report = run_load(dest, "events", pages)
    assert report.rows == {"events": 2, "events__tags": 3}
    assert rows(dest, "SELECT subject FROM DS.events WHERE id = 1") == [("newest",)]
    assert rows(dest, "SELECT t.value FROM DS.events e JOIN DS.events__tags t "
                      "ON t._dlt_root_id = e._dlt_id WHERE e.id = 1") == [("n",)]


def test_merge_deletes_grandchildren_of_replaced_roots(dest: Destination) -> None:
    first = [{"id": 1, "parts": [{"n": 1, "hdr": [{"k": "a"}, {"k": "b"}]}]}]
    run_load(dest, "msgs", [first])
    run_load(dest, "msgs", [[{"id": 1, "parts": [{"n": 2, "hdr": [{"k": "z"}]}]}]],
             load_id="L2")
    assert rows(dest, "SELECT k FROM DS.msgs__parts__hdr") == [("z",)]
    assert rows(dest, "SELECT n FROM DS.msgs__parts") == [(2,)]


def test_merge_on_composite_key_and_type_widened_key(dest: Destination) -> None:
    run_load(dest, "slots", [[{"a": 1, "b": "x", "v": 1}, {"a": 1, "b": "y", "v": 2}]],
             primary_key=["a", "b"])
    run_load(dest, "slots", [[{"a": 1, "b": "x", "v": 3}]], primary_key=["a", "b"],
             load_id="L2")
    assert rows(dest, "SELECT b, v FROM DS.slots ORDER BY b") == [("x", 3), ("y", 2)]


def test_merge_without_any_key_value_falls_back_to_replace(dest: Destination) -> None:
    run_load(dest, "profile", [[{"emailAddress": "a@x", "messagesTotal": 1}]])
    report = run_load(dest, "profile", [[{"emailAddress": "a@x", "messagesTotal": 2}]],
                      load_id="L2")
    assert report.disposition_applied == "replace"
    assert report.notes == ["no `id` in any record: loaded as replace (snapshot)"]
    assert rows(dest, "SELECT messages_total FROM DS.profile") == [(2,)]


def test_merge_with_some_key_values_missing_fails_and_commits_nothing(
        dest: Destination) -> None:
    run_load(dest, "events", [events([1])], state={"cursor": "a"})
    with pytest.raises(DestinationError) as info:
        run_load(dest, "events", [[*events([2]), {"subject": "no id"}, {"subject": "x"}]],
                 load_id="L2", state={"cursor": "b"})
    message = str(info.value)
    assert "resource 'events'" in message and "table 'events'" in message
    assert "2 of 3 rows" in message
    assert count(dest, "events") == 1
    assert dest.get_state("events") == {"cursor": "a"}
    assert dest.sql("SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = 'data_staging'") == [(0,)]


def test_merge_of_an_empty_run_changes_nothing(dest: Destination) -> None:
    run_load(dest, "events", [events([1])])
    report = run_load(dest, "events", [], load_id="L2", state={"c": 1})
    assert report.rows == {} and count(dest, "events") == 1
    assert dest.get_state("events") == {"c": 1}
