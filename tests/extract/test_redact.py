"""Redaction of URLs and text."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from restsync.extract.redact import Redactor, basic_credential_forms, redact_text, redact_url


def test_credential_params_masked_cursors_kept() -> None:
    url = ("https://u:pw@h.test/x?access_token=AT1&pageToken=P1&api_key=K1&key=K2&limit=5"
           "&X-Amz-Signature=S1&client_secret=CS&next_page_token=NP")
    out = redact_url(url)
    for secret in ("AT1", "K1", "K2", "S1", "CS", "pw", "u:"):
        assert secret not in out
    assert "pageToken=P1" in out and "limit=5" in out and "next_page_token=NP" in out
    assert out.startswith("https://***@h.test/x?")


def test_extra_secret_params() -> None:
    assert redact_url("https://h/x?apiKeyName=abc&q=1", ["apiKeyName"]) == \
        "https://h/x?apiKeyName=***&q=1"


def test_url_without_secrets_unchanged() -> None:
    url = "https://h/x?a=1&b=%2F"
    assert redact_url(url) == url


def test_redact_text_masks_raw_and_encoded_values() -> None:
    secret = "s3cr3t/+value"
    text = f"got {secret} and s3cr3t%2F%2Bvalue in body"
    out = redact_text(text, [secret, "ab"])
    assert "s3cr3t" not in out and out.count("***") == 2


SECRET = "tok/en+v@l u€😀x"


@pytest.mark.parametrize("form", [
    SECRET,
    SECRET.replace("/", "\\/"),                                 # PHP's default JSON
    json.dumps(SECRET)[1:-1],                                   # \u escapes (ensure_ascii)
    json.dumps(SECRET, ensure_ascii=False).replace("/", "\\/"),
    json.dumps(json.dumps(SECRET))[1:-1],                       # JSON inside a JSON string
    re.sub(r"\\u(\w{4})", lambda m: "\\u" + m.group(1).upper(), json.dumps(SECRET)[1:-1]),
    quote(SECRET, safe=""), quote(SECRET, safe="").lower(), quote_plus(SECRET),
    html.escape(SECRET), "".join(f"&#{ord(c)};" for c in SECRET),
    "".join(f"&#x{ord(c):x};" for c in SECRET),
    SECRET[:3] + "\\/" + quote(SECRET[4:], safe=""),            # mixed forms
])
def test_every_echoed_form_of_a_secret_is_masked(form: str) -> None:
    out = redact_text(f'{{"error": "bad token {form}", "n": 1}}', [SECRET])
    assert "***" in out
    assert "tok" not in out.replace("bad token", "")
    assert out.startswith('{"error": "bad token ') and out.endswith('", "n": 1}')


def test_masking_keeps_similar_text() -> None:
    assert redact_text("tok/en+v@l", [SECRET]) == "tok/en+v@l"
    assert redact_text("a\\/b", ["a/bc"]) == "a\\/b"


def test_basic_credentials_are_masked_in_base64() -> None:
    forms = basic_credential_forms("user", "pa/ss?w>rd")
    raw = base64.b64encode(b"user:pa/ss?w>rd").decode()
    assert raw in forms and raw.rstrip("=") in forms
    text = f"echo: Authorization: Basic {raw}"
    assert redact_text(text, forms) == "echo: Authorization: Basic ***"


async def test_client_masks_escaped_and_base64_forms_in_error_bodies() -> None:
    """An error body echoing the credentials PHP-style (\\/) or as the basic header is masked."""
    from restsync.errors import HTTPStatusError
    from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper

    from .conftest import client_config, endpoint, reply
    password = "p@ss/w0rd+/secret"
    header = base64.b64encode(f"alice:{password}".encode()).decode()

    def echo(request: Any) -> Any:
        return reply({"error": "denied", "you_sent": password.replace("/", "\\/"),
                      "header": request.headers.get("Authorization")}, status=403)
    client = ApiClient(client_config(auth={"type": "http_basic", "username": "alice",
                                           "password": password}),
                       transport=MemoryTransport(echo), sleeper=RecordingSleeper())
    async with client:
        with pytest.raises(HTTPStatusError) as caught:
            _ = [p async for p in client.pages(resource="r", endpoint=endpoint(path="/x"),
                                               paginator=None)]
    text = str(caught.value)
    assert "denied" in text
    for leaked in ("p@ss", "w0rd", header[:12]):
        assert leaked not in text, text


def test_redactor_remembers_only_while_the_secrets_stay_the_same() -> None:
    redactor = Redactor(memory=2)
    text = "GET https://api.test/v1/items?page=2 said: bad token tok-AAAA1111"
    assert redactor(text, ["tok-AAAA1111"], ()) == (
        "GET https://api.test/v1/items?page=2 said: bad token ***")
    assert redactor(text, ["tok-AAAA1111"], ()) == redactor(text, ["tok-AAAA1111"], ())
    # a refreshed token: the same text is redacted again, with the new secret
    assert redactor(text + " tok-BBBB2222", ["tok-BBBB2222"], ()).endswith("tok-AAAA1111 ***")
    # secret query names of the client, the built-in ones, and userinfo
    assert redactor("https://u:pw@api.test/x?sid=1&key=2", [], ("sid",)) == (
        "https://***@api.test/x?sid=***&key=***")
    for n in range(5):  # a full memory is forgotten, never wrong
        assert redactor(f"https://api.test/items/{n}", [], ()) == f"https://api.test/items/{n}"
