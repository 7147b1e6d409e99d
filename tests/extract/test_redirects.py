"""Redirect following: one hop at a time, method rules, the hop limit."""

import pytest

from restsync.errors import FatalError
from restsync.extract.http import Request, Response, json_response, make_headers
from restsync.extract.redirects import MAX_REDIRECTS, send_following_redirects


def redirect(status: int, location: str, url: str) -> Response:
    return Response(status=status, headers=make_headers({"Location": location}), url=url)


class Hops:
    """Answers each request with the next prepared response; remembers what was sent."""

    def __init__(self, *answers: Response) -> None:
        self.answers = list(answers)
        self.sent: list[Request] = []

    async def __call__(self, request: Request) -> Response:
        self.sent.append(request)
        return self.answers.pop(0)


async def test_relative_location_is_joined_and_params_come_from_it_only() -> None:
    send = Hops(redirect(302, "/v2/items?page=2", "https://api.example.com/v1/items?page=1"),
                json_response({"ok": True}, url="https://api.example.com/v2/items?page=2"))
    request = Request(method="GET", url="https://api.example.com/v1/items", params={"page": 1})
    response = await send_following_redirects(send, request, where=lambda: "here")
    assert response.status == 200
    assert [(r.method, r.url, r.params) for r in send.sent] == [
        ("GET", "https://api.example.com/v1/items", {"page": 1}),
        ("GET", "https://api.example.com/v2/items?page=2", {})]


@pytest.mark.parametrize(("status", "method_after", "body_kept"), [
    (303, "GET", False), (302, "GET", False), (301, "GET", False),
    (307, "POST", True), (308, "POST", True),
])
async def test_post_redirect_method_rules(status: int, method_after: str, body_kept: bool) -> None:
    send = Hops(redirect(status, "https://api.example.com/next", "https://api.example.com/s"),
                json_response({}, url="https://api.example.com/next"))
    request = Request(method="POST", url="https://api.example.com/s", json={"q": 1})
    await send_following_redirects(send, request, where=lambda: "here")
    hop = send.sent[1]
    assert hop.method == method_after
    assert (hop.json == {"q": 1}) is body_kept
    assert request.method == "POST" and request.json == {"q": 1}  # the original is untouched


async def test_a_redirect_without_location_is_the_answer() -> None:
    send = Hops(Response(status=302, headers=make_headers({}), url="https://h/x"))
    response = await send_following_redirects(send, Request(method="GET", url="https://h/x"),
                                              where=lambda: "here")
    assert response.status == 302 and len(send.sent) == 1


async def test_too_many_redirects_fail_naming_the_request() -> None:
    loop = [redirect(302, "https://h/loop", "https://h/loop") for _ in range(MAX_REDIRECTS + 1)]
    send = Hops(*loop)
    with pytest.raises(FatalError) as info:
        await send_following_redirects(send, Request(method="GET", url="https://h/loop"),
                                       where=lambda: "resource 'r', GET https://h/loop")
    assert f"more than {MAX_REDIRECTS} redirects" in str(info.value)
    assert "resource 'r'" in str(info.value)
    assert len(send.sent) == MAX_REDIRECTS + 1


async def test_too_many_redirects_through_the_client_name_resource_and_page() -> None:
    """The redirect error has the `resource ..., page N, GET url` prefix of every other error."""
    from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper

    from .conftest import client_config, endpoint

    def handler(request: Request) -> Response:
        return redirect(302, request.url.rstrip("/") + "/again", request.full_url())
    client = ApiClient(client_config(auth={"type": "bearer", "token": "tok-secret-77"}),
                       transport=MemoryTransport(handler), sleeper=RecordingSleeper())
    async with client:
        with pytest.raises(FatalError) as caught:
            _ = [p async for p in client.pages(resource="items", endpoint=endpoint(path="/items"),
                                               paginator=None)]
    assert str(caught.value).startswith(
        f"resource 'items', page 1, GET https://api.test/v1/items: more than {MAX_REDIRECTS} "
        "redirects")
