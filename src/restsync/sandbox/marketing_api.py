"""Sandbox of seed 003 (``examples/seeds/marketing_api.md``): a Pardot-like marketing API.

* OAuth2 refresh-token grant at ``/services/oauth2/token`` on a separate server; the token
  response has no ``expires_in``. Tokens die server side after ``token_max_uses`` API calls
  or on :meth:`invalidate_tokens` (401 -> refresh -> replay tests).
* ``/v5/objects/campaigns``: ``{"values": [...], "nextPageUrl": "<absolute url>"}``, the key
  absent on the last page; page size ``limit`` (default 200, at most 1000).
* ``/emailClick/version/4/do/query`` (GET or POST): ``id_greater_than`` paging, records sorted
  by id, ``limit`` at most 200 (default 200); body ``{"@attributes": {...}, "result":
  {"total_results": N, "emailClick": [...]}}`` with ``emailClick`` absent when no rows match.
"""

from __future__ import annotations

import bisect
import random
from typing import Any

from aiohttp import web

from restsync.sandbox._common import (
    bad_request,
    bearer_token,
    decode_cursor,
    encode_cursor,
    int_param,
    json_response,
)
from restsync.sandbox._server import OAuthClient, SandboxServer

_INVALID = "access_token is invalid, unknown, or malformed: Inactive token"
_CLICKS = "/emailClick/version/4/do/query"


class MarketingApiSandbox(SandboxServer):
    """Pardot-like API of seed 003.

    Args:
        campaigns: Number of campaigns.
        email_clicks: Number of email clicks (default 1,130, not a multiple of 200; pass e.g.
            800 for an exact multiple, where the last request finds no ``emailClick`` key).
        campaigns_page_size: Page size of campaigns without ``limit``.
        single_result_as_object: Imitate the v4 API quirk of answering a lone record as an
            object instead of a one-element list.
        **kwargs: See :class:`SandboxServer` (``token_max_uses`` for expiring tokens).
    """

    name = "marketing_api"
    resources = ("campaigns", "email_clicks")
    token_path = "/services/oauth2/token"
    token_on_separate_host = True
    token_prefix = "sbx-marketing-at"
    clicks_page_size = 200

    def __init__(
        self,
        *,
        campaigns: int = 450,
        email_clicks: int = 1130,
        campaigns_page_size: int = 200,
        single_result_as_object: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("token_ttl", None)
        super().__init__(**kwargs)
        self.campaigns_page_size = campaigns_page_size
        self.single_result_as_object = single_result_as_object
        self.secrets = {
            "client_id": "sandbox-marketing-client-id",
            "client_secret": "sandbox-marketing-client-secret-DO-NOT-LOG",
            "refresh_token": "sandbox-marketing-refresh-token-DO-NOT-LOG",
        }
        self.oauth = OAuthClient(
            client_id=self.secrets["client_id"], client_secret=self.secrets["client_secret"],
            refresh_token=self.secrets["refresh_token"], expires_in=None,
            extra={"scope": "pardot_api refresh_token", "signature": "c2FuZGJveA==",
                   "instance_url": "https://example.my.example.com",
                   "issued_at": "1700000000000"},
        )
        rng = random.Random(f"marketing_api:{self.seed}")
        self._campaigns = [
            {"id": 10_000 + i * 3, "name": f"Campaign {i:04d}", "cost": rng.randrange(0, 5000),
             "folderId": rng.choice((None, 501, 502)), "isDeleted": False,
             "salesforceId": None if i % 3 else f"7010000000{i:05d}AAA",
             "parentCampaignId": None,
             "createdAt": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00-08:00",
             "updatedAt": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:30:00-08:00",
             "createdBy": {"id": 7, "username": "sandbox@example.com"},
             "updatedBy": {"id": 9, "username": "ops@example.com"}}
            for i in range(campaigns)
        ]
        next_id = 500_000
        self._clicks: list[dict[str, Any]] = []
        for i in range(email_clicks):
            next_id += rng.randint(1, 5)  # ids sorted, with gaps: paging cannot count offsets
            self._clicks.append({
                "id": next_id, "prospect_id": 3_000_000 + rng.randrange(20_000),
                "url": f"https://www.example.com/offer/{rng.randrange(40)}?utm_source=email",
                "list_email_id": rng.choice((None, 88_000 + rng.randrange(50))),
                "drip_program_action_id": None, "email_template_id": 41_000 + rng.randrange(30),
                "tracker_redirect_id": None,
                "created_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:15:00",
            })
        self._click_ids = [c["id"] for c in self._clicks]

    def document_records(self) -> dict[str, list[dict[str, Any]]]:
        """Records per resource of seed 003."""
        return {"campaigns": list(self._campaigns), "email_clicks": list(self._clicks)}

    # ------------------------------------------------------------------ HTTP

    def check_auth(self, request: web.Request) -> web.StreamResponse | None:
        if self.bearer_ok(bearer_token(request)):
            return None
        if request.path == _CLICKS:
            return json_response({"@attributes": {"stat": "fail", "version": 4, "err_code": 184},
                                  "err": _INVALID}, status=401)
        return json_response({"code": 184, "message": _INVALID}, status=401)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v5/objects/campaigns", self._list_campaigns)
        app.router.add_get(_CLICKS, self._query_clicks)
        app.router.add_post(_CLICKS, self._query_clicks)

    async def _list_campaigns(self, request: web.Request) -> web.StreamResponse:
        if "nextPageUrl" in request.query:
            raise bad_request("Invalid parameter nextPageUrl: follow nextPageUrl as a URL")
        limit = int_param(request, "limit", self.campaigns_page_size, minimum=1, maximum=1000)
        start = 0
        token = request.query.get("nextPageToken")
        if token:
            decoded = decode_cursor(token, "campaigns")
            if decoded is None:
                raise bad_request(f"Invalid nextPageToken {token!r}")
            start = decoded
        end = start + limit
        body: dict[str, Any] = {"values": self._campaigns[start:end]}
        if end < len(self._campaigns):
            query = {"nextPageToken": encode_cursor("campaigns", end)}
            if "limit" in request.query:
                query["limit"] = request.query["limit"]
            body["nextPageUrl"] = str(request.url.with_query(query))
        return json_response(body)

    async def _query_clicks(self, request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        raw_after = params.get("id_greater_than", "")
        try:
            after = int(raw_after) if raw_after else None
        except ValueError:
            raise bad_request(f"Invalid parameter id_greater_than {raw_after!r}") from None
        raw_limit = params.get("limit", "")
        if raw_limit and (not raw_limit.isdigit() or int(raw_limit) < 1):
            raise bad_request(f"Invalid parameter limit {raw_limit!r}")
        limit = min(int(raw_limit), self.clicks_page_size) if raw_limit else self.clicks_page_size
        first = 0 if after is None else bisect.bisect_right(self._click_ids, after)
        result: dict[str, Any] = {"total_results": len(self._clicks) - first}
        page = self._clicks[first:first + limit]
        if len(page) == 1 and self.single_result_as_object:
            result["emailClick"] = page[0]
        elif page:
            result["emailClick"] = page
        return json_response({"@attributes": {"stat": "ok", "version": 4}, "result": result})
