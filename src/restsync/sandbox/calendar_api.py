"""Sandbox of seed 001 (``examples/seeds/calendar_api.md``): a Nylas-v3-like API.

* Bearer token = the ``api_key`` secret.
* ``/v3/grants`` and, per grant, ``/v3/grants/{grant_id}/{calendars,contacts,contacts/groups,
  drafts,events,folders,messages,threads}``: cursor paging, body
  ``{"request_id", "data": [...], "next_cursor"}`` (``next_cursor`` absent on the last page),
  ``page_token`` and ``limit`` query parameters (default 50, at most 200). Some grants hold
  several pages, some a few records, some none.
* ``/v3/grants/{grant_id}/messages/schedules``: one page keyed by ``schedule_id`` (no ``id``).
* ``/v3/connectors``: one page, records carry ``provider`` and no ``id``;
  ``/v3/connectors/{provider}/creds``: a top-level JSON array; unknown provider -> 404.
* ``events_by_calendar=True`` (for Airbyte's Nylas manifest, which asks for the events of a
  grant per ``calendar_id``): each event belongs to one calendar of its grant, and
  ``calendar_id`` selects them; a calendar of another grant gives an empty list.
"""

from __future__ import annotations

import itertools
import random
import uuid
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
from restsync.sandbox._server import SandboxServer

# resource name -> path segment under /v3/grants/{grant_id}/
COLLECTIONS: dict[str, str] = {
    "calendars": "calendars", "contacts": "contacts", "contact_groups": "contacts/groups",
    "drafts": "drafts", "events": "events", "folders": "folders", "messages": "messages",
    "threads": "threads",
}
PROVIDERS: dict[str, int] = {"google": 3, "microsoft": 2, "imap": 0, "icloud": 1, "ews": 1}
_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Donald", "Frances", "Radia")
_WORDS = ("standup", "planning", "retro", "lunch", "1:1", "review", "offsite", "demo", "sync")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _person(rng: random.Random) -> dict[str, str]:
    name = rng.choice(_NAMES)
    return {"name": name, "email": f"{name.lower()}{rng.randrange(99)}@example.com"}


def _record(kind: str, grant_id: str, rng: random.Random, when: int) -> dict[str, Any]:
    base: dict[str, Any] = {"id": _uid(rng)[:22].replace("-", ""), "grant_id": grant_id}
    if kind == "calendars":
        base.update(object="calendar", name=f"{rng.choice(_NAMES)}'s calendar",
                    description=None, timezone="Europe/Berlin", is_primary=rng.random() < 0.2,
                    read_only=rng.random() < 0.3, is_owned_by_user=True,
                    hex_color=f"#{rng.randrange(16**6):06x}", metadata={"team": rng.choice(_WORDS)})
    elif kind == "contacts":
        base.update(object="contact", given_name=rng.choice(_NAMES), surname="Example",
                    company_name="Example GmbH", job_title=rng.choice(("CTO", "Engineer", None)),
                    emails=[{"type": "work", "email": _person(rng)["email"]}
                            for _ in range(rng.randint(0, 2))],
                    phone_numbers=[{"type": "mobile", "number": f"+49 30 {rng.randrange(10**7):07d}"}],
                    groups=[{"id": "starred"}] if rng.random() < 0.3 else [])
    elif kind == "contact_groups":
        name = rng.choice(_WORDS).title()
        base.update(object="contact_group", name=name, group_type="user", path=f"Groups/{name}")
    elif kind == "drafts":
        base.update(object="draft", subject=f"Re: {rng.choice(_WORDS)}", body="<p>draft</p>",
                    to=[_person(rng) for _ in range(rng.randint(1, 3))], cc=[], date=when,
                    thread_id=_uid(rng)[:20], folders=["DRAFTS"])
    elif kind == "events":
        base.update(object="event", calendar_id="primary", title=rng.choice(_WORDS).title(),
                    busy=True, status="confirmed", read_only=False,
                    when={"object": "timespan", "start_time": when, "end_time": when + 1800,
                          "start_timezone": "UTC", "end_timezone": "UTC"},
                    participants=[{**_person(rng), "status": rng.choice(("yes", "no", "maybe"))}
                                  for _ in range(rng.randint(0, 4))],
                    conferencing={"provider": "Zoom Meeting",
                                  "details": {"url": f"https://zoom.example/j/{rng.randrange(10**9)}"}})
    elif kind == "folders":
        base.update(object="folder", name=rng.choice(("INBOX", "Archive", "Receipts", "Travel")),
                    system_folder=rng.random() < 0.5, total_count=rng.randrange(500),
                    unread_count=rng.randrange(20), attributes=["\\HasNoChildren"])
    elif kind == "messages":
        base.update(object="message", subject=rng.choice(_WORDS).title(), date=when,
                    thread_id=_uid(rng)[:20], unread=rng.random() < 0.4, starred=False,
                    snippet="Hello from the sandbox", folders=["INBOX"],
                    to=[_person(rng)], cc=[], bcc=[], reply_to=[], **{"from": [_person(rng)]},
                    attachments=[{"id": f"a{rng.randrange(10**6)}", "filename": "notes.pdf",
                                  "size": rng.randrange(10**5), "content_type": "application/pdf"}
                                 for _ in range(rng.randint(0, 1))])
    else:  # threads
        base.update(object="thread", subject=rng.choice(_WORDS).title(), unread=False,
                    message_ids=[_uid(rng)[:20] for _ in range(rng.randint(1, 4))],
                    participants=[_person(rng) for _ in range(rng.randint(1, 3))],
                    latest_message_received_date=when, has_attachments=False)
    return base


class CalendarApiSandbox(SandboxServer):
    """Nylas-v3-like API of seed 001.

    Args:
        grants: Number of grants (53 -> two pages at the document's 50).
        large_every: Every ``large_every``-th grant (0, n, 2n...) holds ``large_records`` per
            collection (several pages at 50).
        empty_every: Grants with ``index % empty_every == empty_every // 2`` hold nothing.
        large_records: ``(min, max)`` records per collection of a large grant.
        small_records: ``(min, max)`` records per collection of other grants.
        default_limit: Page size when ``limit`` is not sent.
        max_limit: Upper bound of ``limit``.
        events_by_calendar: Events belong to their grant's calendars; ``calendar_id`` filters.
        **kwargs: See :class:`SandboxServer`.
    """

    name = "calendar_api"
    resources = ("calendars", "connectors", "contacts", "contact_groups", "credentials",
                 "drafts", "events", "folders", "grants", "messages", "scheduled_messages",
                 "threads")
    token_prefix = "unused"

    def __init__(
        self,
        *,
        grants: int = 53,
        large_every: int = 10,
        empty_every: int = 7,
        large_records: tuple[int, int] = (60, 130),
        small_records: tuple[int, int] = (0, 12),
        default_limit: int = 50,
        max_limit: int = 200,
        events_by_calendar: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.events_by_calendar = events_by_calendar
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.secrets = {"api_key": "sandbox-calendar-api-key-DO-NOT-LOG"}
        self._request_ids = itertools.count(1)
        rng = random.Random(f"calendar_api:{self.seed}")
        self._grants: list[dict[str, Any]] = []
        self._data: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._schedules: dict[str, list[dict[str, Any]]] = {}
        for i in range(grants):
            grant_id = _uid(rng)
            created = 1_690_000_000 + i * 86_400
            self._grants.append({
                "id": grant_id, "provider": rng.choice(("google", "microsoft", "icloud")),
                "grant_status": "valid", "email": f"user{i}@example.com",
                "scope": ["calendar", "contacts", "email.read_only"][: rng.randint(1, 3)],
                "user_agent": "sandbox", "ip": f"10.0.{i // 250}.{i % 250}",
                "created_at": created, "updated_at": created + 3600, "settings": {},
            })
            if large_every and i % large_every == 0:
                low, high = large_records
            elif empty_every and i % empty_every == empty_every // 2:
                low, high = 0, 0
            else:
                low, high = small_records
            self._data[grant_id] = {
                kind: [_record(kind, grant_id, rng, created + j * 900)
                       for j in range(rng.randint(low, high))]
                for kind in COLLECTIONS
            }
            if events_by_calendar:
                calendars = [c["id"] for c in self._data[grant_id]["calendars"]] or ["primary"]
                for j, event in enumerate(self._data[grant_id]["events"]):
                    event["calendar_id"] = calendars[j % len(calendars)]
            self._schedules[grant_id] = [
                {"schedule_id": str(8_000_000 + i * 10 + j),
                 "status": {"code": "pending", "description": "schedule send awaiting send at time"},
                 "close_time": created + 7 * 86_400 + j}
                for j in range(rng.randint(0, 3) if high else 0)
            ]
        self._connectors: list[dict[str, Any]] = [
            {"provider": provider, "scope": ["openid", "email", "calendar"],
             "settings": {"client_id": f"{provider}-app-id", "topic_name": None}}
            for provider in PROVIDERS
        ]
        self._creds = {
            provider: [{"name": f"{provider} credential {j + 1}",
                        "credential_type": "adminconsent" if j % 2 else "serviceaccount",
                        "hashed_data": f"{rng.getrandbits(64):016x}",
                        "created_at": 1_700_000_000 + j, "updated_at": 1_700_000_500 + j}
                       for j in range(count)]
            for provider, count in PROVIDERS.items()
        }

    def document_records(self) -> dict[str, list[dict[str, Any]]]:
        """Records per resource of seed 001 (per-grant collections summed over grants)."""
        result: dict[str, list[dict[str, Any]]] = {
            "grants": list(self._grants), "connectors": list(self._connectors),
            "credentials": [c for p in self._connectors for c in self._creds[p["provider"]]],
            "scheduled_messages": [s for g in self._grants for s in self._schedules[g["id"]]],
        }
        for kind in COLLECTIONS:
            result[kind] = [r for g in self._grants for r in self._data[g["id"]][kind]]
        return {name: result[name] for name in self.resources}

    def grant_ids(self) -> list[str]:
        """Ids of every grant, in list order."""
        return [g["id"] for g in self._grants]

    def providers(self) -> list[str]:
        """Provider names of the connectors (the values ``{provider}`` takes)."""
        return [c["provider"] for c in self._connectors]

    def records_of(self, grant_id: str, resource: str) -> list[dict[str, Any]]:
        """The records of one grant's collection (``resource`` as in the document)."""
        if resource == "scheduled_messages":
            return list(self._schedules[grant_id])
        return list(self._data[grant_id][resource])

    # ------------------------------------------------------------------ HTTP

    def _envelope(self, data: Any, next_cursor: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"request_id": f"sbx-{next(self._request_ids):08d}", "data": data}
        if next_cursor is not None:
            body["next_cursor"] = next_cursor
        return body

    def _error(self, status: int, kind: str, message: str) -> web.Response:
        return json_response({"request_id": f"sbx-{next(self._request_ids):08d}",
                              "error": {"type": kind, "message": message}}, status=status)

    def check_auth(self, request: web.Request) -> web.StreamResponse | None:
        if bearer_token(request) == self.secrets["api_key"]:
            return None
        return self._error(401, "unauthorized", "Unauthorized")

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v3/grants", self._list_grants)
        app.router.add_get("/v3/grants/{grant_id}/messages/schedules", self._list_schedules)
        for kind, segment in COLLECTIONS.items():
            app.router.add_get(f"/v3/grants/{{grant_id}}/{segment}", self._collection(kind))
        app.router.add_get("/v3/connectors", self._list_connectors)
        app.router.add_get("/v3/connectors/{provider}/creds", self._list_creds)

    def _page(self, request: web.Request, rows: list[dict[str, Any]], kind: str) -> web.Response:
        limit = int_param(request, "limit", self.default_limit, minimum=1, maximum=self.max_limit)
        start = 0
        token = request.query.get("page_token")
        if token:
            decoded = decode_cursor(token, kind)
            if decoded is None:
                raise bad_request(f"invalid page_token {token!r}")
            start = decoded
        end = start + limit
        cursor = encode_cursor(kind, end) if end < len(rows) else None
        return json_response(self._envelope(rows[start:end], cursor))

    async def _list_grants(self, request: web.Request) -> web.StreamResponse:
        return self._page(request, self._grants, "grants")

    def _collection(self, kind: str) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            grant_id = request.match_info["grant_id"]
            if grant_id not in self._data:
                return self._error(404, "not_found_error", f"grant {grant_id} not found")
            rows = self._data[grant_id][kind]
            calendar = request.query.get("calendar_id")
            if kind == "events" and self.events_by_calendar and calendar is not None:
                rows = [r for r in rows if r["calendar_id"] == calendar]
            return self._page(request, rows, f"{kind}:{grant_id}")

        return handler

    async def _list_schedules(self, request: web.Request) -> web.StreamResponse:
        grant_id = request.match_info["grant_id"]
        if grant_id not in self._schedules:
            return self._error(404, "not_found_error", f"grant {grant_id} not found")
        return json_response(self._envelope(self._schedules[grant_id]))

    async def _list_connectors(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._envelope(self._connectors))

    async def _list_creds(self, request: web.Request) -> web.StreamResponse:
        provider = request.match_info["provider"]
        if provider not in self._creds:
            return self._error(404, "not_found_error", f"connector {provider!r} not found")
        return json_response(self._creds[provider])
