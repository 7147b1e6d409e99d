"""Schema hints in specs (columns, schema_contract, json_columns) and documents' Schema sections."""

from pathlib import Path

import pytest

from restsync.errors import SpecError
from restsync.spec import load_spec
from restsync.spec.schema_section import match_resource, read_schema_sections

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"


def spec(**resource: object) -> dict:
    return {"client": {"base_url": "http://x"}, "resources": [{"name": "events", **resource}]}


def test_columns_contract_and_json_columns_are_accepted() -> None:
    config = load_spec({**spec(columns={"amount": {"data_type": "decimal", "precision": 12,
                                                    "scale": 2, "description": "Money"},
                                         "payload": {"data_type": "complex"}},
                               json_columns="meta", schema_contract={"columns": "freeze"}),
                        "schema_contract": "discard_row"})
    res = config.resource("events")
    assert res.columns["amount"].data_type == "decimal"
    assert res.columns["payload"].data_type == "json"  # dlt's old name
    assert res.json_columns == ["meta"]
    assert res.schema_contract is not None
    assert (res.schema_contract.tables, res.schema_contract.columns,
            res.schema_contract.data_type) == ("discard_row", "freeze", "discard_row")
    assert config.schema_contract is not None and config.schema_contract.tables == "discard_row"


def test_columns_list_form() -> None:
    config = load_spec(spec(columns=[{"name": "id", "data_type": "bigint", "unique": True}]))
    assert config.resource("events").columns["id"].data_type == "bigint"


@pytest.mark.parametrize(("resource", "where", "message"), [
    ({"schema_contract": "melt"}, "resources[events].schema_contract",
     "unknown schema contract mode 'melt'"),
    ({"schema_contract": {"colums": "freeze"}}, "resources[events].schema_contract.colums",
     "did you mean 'columns'?"),
    ({"columns": {"x": {"data_tipe": "text"}}}, "resources[events].columns.x.data_tipe",
     "did you mean 'data_type'?"),
    ({"columns": {"x": {"data_type": "decimal", "precision": 99}}},
     "resources[events].columns.x.precision", "38"),
])
def test_bad_schema_hints_are_located(resource: dict, where: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(spec(**resource))
    assert any(i.path == where and message in i.message for i in info.value.issues), \
        info.value.issues


def test_email_events_document_sections_become_known_columns_with_descriptions() -> None:
    config = load_spec(SEEDS / "email_events_api.md", resolve_values=False)
    events = config.resource("events").columns
    assert events["client-info"].description == (
        "Information about the client device used to open the email.")
    assert events["timestamp"].data_type is None  # no type invented from prose
    assert len(config.resource("domains").columns) == 18
    inferences = {i.path: i.message for i in config.inferences}
    assert "22 known column(s)" in inferences["resources[events].columns"]


def test_email_api_field_lists_become_known_columns() -> None:
    config = load_spec(SEEDS / "email_api.md", resolve_values=False)
    assert list(config.resource("labels").columns) == [
        "type", "id", "labelListVisibility", "messageListVisibility", "name"]
    assert list(config.resource("profile").columns) == [
        "emailAddress", "historyId", "messagesTotal", "threadsTotal"]
    assert config.resource("labels_details").columns == {}


def test_prose_without_resource_is_reported_not_applied() -> None:
    config = load_spec(SEEDS / "calendar_api.md", resolve_values=False)
    assert all(not r.columns for r in config.resources)
    assert any("without saying which resource" in i.message for i in config.inferences)


def test_spec_columns_win_over_the_document() -> None:
    document = (
        "# API\n\n```python\nsource = rest_api_source({\"client\": {\"base_url\": "
        "\"http://x\"}, \"resources\": [{\"name\": \"events\", \"columns\": "
        "{\"ip\": {\"data_type\": \"text\"}, \"id\": {\"description\": \"Mine.\"}}}]})\n"
        "```\n\n## Schema\n\n### Events Schema\n\n- **ip**: IP address.\n- **id**: ID.\n"
        "- **tags**: Tags.\n")
    columns = load_spec(document).resource("events").columns
    assert columns["ip"].data_type == "text" and columns["ip"].description == "IP address."
    assert columns["id"].description == "Mine."
    assert columns["tags"].description == "Tags."


def test_section_reading_and_resource_matching() -> None:
    sections = {"Events Schema": "- **ip**: IP address.\n- **id**: ID."}
    assert read_schema_sections(sections, ["events"]).columns == {
        "events": {"ip": {"description": "IP address."}, "id": {"description": "ID."}}}
    assert match_resource("Label", ["labels", "labels_details"]) == "labels"
    assert match_resource("Category", ["categories"]) == "categories"
    assert match_resource("Nothing", ["labels"]) is None
