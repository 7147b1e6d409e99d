import pytest

from restsync.normalize.naming import NameRegistry, normalize_identifier, normalize_path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("labelListVisibility", "label_list_visibility"),
        ("delivery-status", "delivery_status"),
        ("client-info", "client_info"),
        ("user-variables", "user_variables"),
        ("HTTPResponse", "http_response"),
        ("1st_place", "_1st_place"),
        ("a.b c", "a_b_c"),
        ("name_", "namex"),
        ("a__b", "a_b"),
        ("@type", "atype"),
        ("x+y", "xxy"),
        ("  id  ", "id"),
        ("", "_empty"),
        ("_dlt_id", "_dlt_id"),
        ("Ünïcode", "_n_code"),
    ],
)
def test_normalize_identifier_follows_dlt_snake_case(raw: str, expected: str) -> None:
    assert normalize_identifier(raw) == expected


@pytest.mark.parametrize("name", ["label_list_visibility", "_labels_id", "namex", "_1st"])
def test_normalize_identifier_is_idempotent(name: str) -> None:
    assert normalize_identifier(normalize_identifier(name)) == normalize_identifier(name)


def test_normalize_path_joins_fragments_with_double_underscore() -> None:
    assert normalize_path(("delivery-status", "attempt-no")) == "delivery_status__attempt_no"


def test_registry_resolves_collisions_by_first_appearance() -> None:
    reg = NameRegistry()
    assert reg.resolve(("aB",)) == "a_b"
    assert reg.resolve(("a_b",)) == "a_b_2"
    assert reg.resolve(("a-b",)) == "a_b_3"
    # stable on repeated lookups
    assert reg.resolve(("a_b",)) == "a_b_2"
    assert reg.paths() == {"a_b": ("aB",), "a_b_2": ("a_b",), "a_b_3": ("a-b",)}


def test_registry_suffix_skips_names_already_taken() -> None:
    reg = NameRegistry()
    reg.resolve(("a_b_2",))
    reg.resolve(("aB",))
    assert reg.resolve(("a_b",)) == "a_b_3"


def test_reserved_names_push_data_keys_aside() -> None:
    reg = NameRegistry()
    assert reg.reserve("_dlt_id") == "_dlt_id"
    assert reg.resolve(("_dlt_id",)) == "_dlt_id_2"
    assert reg.reserve("_dlt_id") == "_dlt_id"


def test_registry_prefix_builds_child_table_names() -> None:
    reg = NameRegistry(prefix="events")
    assert reg.resolve(("message", "attachments")) == "events__message__attachments"
