"""Request/Response helpers: URL building, Link header parsing, JSON caching."""

from __future__ import annotations

from restsync.extract.http import (
    Request,
    Response,
    encode_params,
    host_key,
    make_headers,
    parse_link_header,
)


def test_full_url_repeats_list_params_and_quotes() -> None:
    request = Request("GET", "https://h/x?existing=1", params={"tag": ["a", "b c"], "on": True,
                                                               "skip": None, "n": 0})
    # values are str()-ed as requests (so dlt) does: True stays True
    assert request.full_url() == "https://h/x?existing=1&tag=a&tag=b%20c&on=True&n=0"
    assert encode_params({"a": [1, None, 2]}) == [("a", "1"), ("a", "2")]


def test_copy_is_independent() -> None:
    original = Request("GET", "https://h/x", params={"a": 1}, headers={"H": "1"})
    clone = original.copy()
    clone.params["b"] = 2
    clone.headers["H"] = "2"
    assert original.params == {"a": 1} and original.headers == {"H": "1"}


def test_link_header_parsing() -> None:
    values = ['<https://h/p?page=2>; rel="next", </p?page=1>; rel="first prev"',
              '<https://h/p?page=9>; title="x;y"; rel=last']
    links = parse_link_header(values, "https://h/p?page=3")
    assert links == {"next": "https://h/p?page=2", "first": "https://h/p?page=1",
                     "prev": "https://h/p?page=1", "last": "https://h/p?page=9"}


def test_response_links_case_insensitive_headers_and_json_cache() -> None:
    response = Response(status=200, url="https://h/a",
                        headers=make_headers([("link", '<b>; rel="Next"'), ("Content-Type", "application/json; charset=utf-8")]),
                        body=b'{"a": [1]}')
    assert response.links == {"next": "https://h/b"}
    assert response.content_type == "application/json"
    assert response.json() is response.json()
    assert response.headers["LINK"] == '<b>; rel="Next"'


def test_host_key_default_ports() -> None:
    assert host_key("https://API.test/x") == "api.test:443"
    assert host_key("http://api.test:8080/x") == "api.test:8080"
    assert host_key("https://api.test:443/") == host_key("https://api.test/")


def test_request_repr_shows_no_values() -> None:
    request = Request("GET", "https://h/x?token=abc", params={"api_key": "k-secret"},
                      headers={"Authorization": "Bearer t-secret"}, data={"client_secret": "c-secret"})
    text = repr(request)
    assert "Authorization" in text and "api_key" in text
    for secret in ("abc", "k-secret", "t-secret", "c-secret"):
        assert secret not in text
