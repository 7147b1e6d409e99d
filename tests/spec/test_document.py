"""Reading connector documents: code block discovery, safe evaluation, located refusals."""

from __future__ import annotations

import pytest
from spec_helpers import SEEDS

from restsync.errors import SpecError
from restsync.spec import ConfigRef, SecretRef, ValueResolver, load_spec, read_raw
from restsync.spec.document import code_blocks, read_document, strip_js_comments
from restsync.spec.issues import Issues

DOC = '''# My API

Some prose.

```python
import dlt
from dlt.sources.rest_api import rest_api_source

source = rest_api_source({{
    "client": {{"base_url": "https://api.example.com"}},
    "resources": [
        {body}
    ]
}})
```

## Schema

- **id**: the key
'''


def _doc(body: str) -> str:
    return DOC.format(body=body)


def test_js_comment_stripped_but_not_inside_strings() -> None:
    code = 'x = {"url": "https://a.b//c", \'k\': "//x"}  // trailing\n# py // comment\n'
    stripped = strip_js_comments(code)
    assert '"https://a.b//c"' in stripped and '"//x"' in stripped
    assert "trailing" not in stripped
    assert "# py // comment" in stripped
    assert stripped.count("\n") == code.count("\n")


def test_js_comment_inside_triple_quoted_string_kept() -> None:
    code = 'x = """a // b\n c""" // gone\n'
    out = strip_js_comments(code)
    assert "a // b" in out and "gone" not in out


def test_code_blocks_found_with_lines() -> None:
    blocks = code_blocks(_doc('"users"'))
    assert len(blocks) == 1
    assert blocks[0].info == "python"
    assert blocks[0].first_line == 6
    assert blocks[0].text.splitlines()[0] == "import dlt"


def test_prose_and_sections_are_kept() -> None:
    raw = read_raw(_doc('"users"'), )
    assert raw.document is not None
    assert "- **id**: the key" in raw.document.sections["Schema"]
    assert "rest_api_source" not in raw.document.prose
    assert raw.data["resources"] == ["users"]


def test_secrets_and_config_become_refs() -> None:
    raw = read_raw(_doc('{"name": "a", "endpoint": {"path": "/a", "params": {'
                        '"k": dlt.secrets["api_key"], "s": dlt.config.get("since"), '
                        '"n": -5}}}'))
    params = raw.data["resources"][0]["endpoint"]["params"]
    assert params == {"k": SecretRef("api_key"), "s": ConfigRef("since"), "n": -5}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"name": "a", "endpoint": {"path": os.getcwd()}}', "a function call (getcwd(...))"),
        ('{"name": "a", "processing_steps": [{"filter": lambda r: True}]}', "a lambda"),
        ('{"name": "a", "endpoint": {"path": __import__("os").name}}', "attribute access"),
        ('{"name": "a", "endpoint": {"path": f"/x/{y}"}}', "an f-string"),
        ('{"name": "a", "endpoint": {"path": PATH}}', "a variable ('PATH')"),
        ('{"name": "a", "endpoint": {"path": "/a" + "b"}}', "an operator expression"),
    ],
)
def test_code_is_refused_with_line(body: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(_doc(body), values=ValueResolver.from_values())
    issue = info.value.issues[0]
    assert fragment in issue.message
    assert "is not evaluated" in issue.message
    assert issue.source_line == 12  # the resource's line in the document


def test_import_is_refused_inside_config() -> None:
    text = _doc('{"name": "a", "endpoint": {"path": __import__("os").system("true")}}')
    with pytest.raises(SpecError) as info:
        load_spec(text, values=ValueResolver.from_values())
    assert info.value.issues[0].path == "resources[a].endpoint.path"


def test_syntax_error_located() -> None:
    with pytest.raises(SpecError) as info:
        load_spec(_doc('{"name": "a",,}'), values=ValueResolver.from_values())
    issue = info.value.issues[0]
    assert "not valid Python" in issue.message and issue.source_line == 12


def test_config_variable_and_keyword_forms() -> None:
    text = '''```python
config: RESTAPIConfig = {"client": {"base_url": "https://x"}, "resources": ["a"]}
source = rest_api_source(config, name="My Source")
pipeline = dlt.pipeline(pipeline_name="p")
```'''
    config = load_spec(text, values=ValueResolver.from_values())
    assert config.name == "my_source"
    assert config.resource("a").endpoint.path == "a"
    kw = load_spec('```py\nrest_api_source(config={"client": {"base_url": "https://x"}, '
                   '"resources": ["b"]})\n```', values=ValueResolver.from_values())
    assert [r.name for r in kw.resources] == ["b"]


def test_bare_dict_document_and_unknown_kwargs() -> None:
    bare = load_spec('```\n{"client": {"base_url": "https://x"}, "resources": ["a"]}\n```',
                     values=ValueResolver.from_values())
    assert bare.resources[0].name == "a"
    with pytest.raises(SpecError, match="argument 'max_table_nesting'"):
        load_spec('```python\nrest_api_source({"client": {"base_url": "https://x"}, '
                  '"resources": ["a"]}, max_table_nesting=2)\n```',
                  values=ValueResolver.from_values())


def test_no_code_block() -> None:
    issues = Issues()
    parsed = read_document("# Title\n\n```bash\nls\n```\n", issues)
    assert parsed.spec is None
    assert "no fenced code block" in issues.to_issues(None)[0].message


def test_every_seed_has_one_config_block() -> None:
    for path in SEEDS.glob("*.md"):
        raw = read_raw(path)
        assert not raw.issues, path
        assert isinstance(raw.data, dict) and "resources" in raw.data
        assert raw.document is not None and "Schema" in raw.document.sections
