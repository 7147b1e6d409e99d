"""Redaction of URLs and text."""

from __future__ import annotations

from restsync.extract.redact import redact_text, redact_url


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
