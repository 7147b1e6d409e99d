"""Sandbox of seed 002 (``examples/seeds/email_events_api.md``): a Mailgun-like API.

* HTTP basic auth: user ``api``, password = the ``private_key`` secret; else 401 ``Forbidden``.
* ``/v1/domains``: offset paging, ``skip`` + ``limit`` (default 100, at most 1000), body
  ``{"items": [...]}`` with no total (the last page is short or empty).
* ``/v1/events``: body ``{"items": [...], "paging": {"next", "previous", "first", "last"}}``;
  ``paging.next`` is an absolute URL to this server carrying ``from=<token>`` and is present
  on every page, including the last; the end of data is a page with empty ``items``. ``limit``
  (default 100, at most ``events_max_page_size``). Event keys are hyphenated.
* ``airbyte_paths=True`` serves the same API at Mailgun's own ``/v3/...`` paths, as Airbyte's
  Mailgun manifest asks for them: that manifest sends the whole ``paging.next`` URL back as
  ``from``, so there ``from`` may also be that URL (its own ``from`` is read).
"""

from __future__ import annotations

import random
from typing import Any

from aiohttp import web
from yarl import URL

from restsync.sandbox._common import (
    bad_request,
    basic_credentials,
    decode_cursor,
    encode_cursor,
    int_param,
    json_response,
)
from restsync.sandbox._server import SandboxServer

_TEMPLATES = 1024
_EVENT_TYPES = ("accepted", "delivered", "failed", "opened", "clicked", "unsubscribed",
                "complained", "rejected")
_CLIENTS = (("browser", "Linux", "desktop", "Firefox"), ("mobile browser", "iOS", "mobile",
            "Mobile Safari"), ("email client", "Windows", "desktop", "Outlook"))


class EmailEventsApiSandbox(SandboxServer):
    """Mailgun-like API of seed 002.

    Args:
        domains: Number of domains (2,350 -> three pages of 1,000, the last short).
        events: Number of events.
        domains_default_limit: Page size of ``/v1/domains`` without ``limit``.
        domains_max_limit: Upper bound of ``limit`` on ``/v1/domains``.
        events_page_size: Page size of ``/v1/events`` without ``limit``.
        events_max_page_size: Upper bound of ``limit`` on ``/v1/events``.
        airbyte_paths: Serve at ``/v3`` and take ``paging.next`` URLs as ``from``.
        **kwargs: See :class:`SandboxServer`.
    """

    name = "email_events_api"
    resources = ("domains", "events")
    token_prefix = "unused"

    def __init__(
        self,
        *,
        domains: int = 2350,
        events: int = 1234,
        domains_default_limit: int = 100,
        domains_max_limit: int = 1000,
        events_page_size: int = 100,
        events_max_page_size: int = 300,
        airbyte_paths: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.airbyte_paths = airbyte_paths
        self.domains_default_limit = domains_default_limit
        self.domains_max_limit = domains_max_limit
        self.events_page_size = events_page_size
        self.events_max_page_size = max(events_max_page_size, events_page_size)
        self.secrets = {"private_key": "key-sandbox-mail-events-DO-NOT-LOG"}
        rng = random.Random(f"email_events_api:{self.seed}")
        self._domains = [self._domain(i, rng) for i in range(domains)]
        templates = [self._event(i, rng) for i in range(min(events, _TEMPLATES))]
        # beyond the templates, events are templates with their own id and timestamp (fast
        # enough for benchmark scales of 10^5..10^6 events; nested parts are shared objects)
        self._events = templates + [
            {**templates[i % _TEMPLATES], "id": f"evt{i:07d}{i * 2654435761 % 2**32:08x}",
             "timestamp": 1_704_067_200.0 + i * 7.25}
            for i in range(len(templates), events)
        ]

    # ------------------------------------------------------------------ data

    @staticmethod
    def _domain(i: int, rng: random.Random) -> dict[str, Any]:
        name = f"mail{i:05d}.example.net"
        return {
            "id": f"{0x5f0000000000000000000000 + i * 7919:024x}",
            "name": name, "type": "sandbox" if i % 50 == 0 else "custom",
            "created_at": f"Mon, {1 + i % 28:02d} Jan 2024 10:{i % 60:02d}:00 GMT",
            "dkim_key_size": rng.choice((1024, 2048)), "force_dkim_authority": rng.random() < 0.1,
            "ips": [f"198.51.100.{rng.randrange(1, 255)}" for _ in range(rng.randint(0, 2))],
            "is_disabled": rng.random() < 0.05, "pool": None, "require_tls": rng.random() < 0.5,
            "skip_verification": False, "smtp_login": f"postmaster@{name}",
            "smtp_password": None, "spam_action": rng.choice(("disabled", "tag", "block")),
            "state": rng.choice(("active", "unverified")), "web_prefix": "email",
            "web_scheme": "https", "wildcard": rng.random() < 0.2,
        }

    @staticmethod
    def _event(i: int, rng: random.Random) -> dict[str, Any]:
        kind = _EVENT_TYPES[rng.randrange(len(_EVENT_TYPES))]
        domain = f"mail{rng.randrange(40):05d}.example.net"
        recipient_domain = rng.choice(("example.com", "example.org", "example.edu"))
        event: dict[str, Any] = {
            "id": f"evt{i:07d}{rng.getrandbits(32):08x}",
            "event": kind, "timestamp": 1_704_067_200.0 + i * 7.25,
            "log-level": "error" if kind in ("failed", "rejected") else "info",
            "recipient": f"user{rng.randrange(5000)}@{recipient_domain}",
            "recipient-domain": recipient_domain,
            "envelope": {"sender": f"news@{domain}", "transport": "smtp",
                         "targets": f"user@{recipient_domain}", "sending-ip": "203.0.113.7"},
            "flags": {"is-routed": False, "is-authenticated": True, "is-system-test": False,
                      "is-test-mode": False},
            "message": {"headers": {"to": f"user@{recipient_domain}",
                                    "message-id": f"{i}.{rng.getrandbits(24):x}@{domain}",
                                    "from": f"news@{domain}", "subject": "Monthly news"},
                        "attachments": [], "size": rng.randint(1000, 60_000)},
            "storage": {"url": f"https://storage.example.net/v3/domains/{domain}/messages/{i}",
                        "key": f"msg{i}"},
            "campaigns": [{"id": f"c{j}", "name": f"Campaign {j}"}
                          for j in range(rng.randint(0, 2))],
            "tags": rng.sample(["newsletter", "promo", "welcome", "transactional"],
                               rng.randint(0, 2)),
            "user-variables": {"customer-id": str(rng.randrange(10**6))} if rng.random() < 0.6 else {},
            "routes": [],
        }
        if kind in ("delivered", "failed"):
            event["delivery-status"] = {
                "code": 250 if kind == "delivered" else 550, "attempt-no": 1,
                "message": "OK" if kind == "delivered" else "mailbox unavailable",
                "description": "", "tls": True, "mx-host": f"mx.{recipient_domain}",
                "certificate-verified": True, "session-seconds": round(rng.random() * 3, 3),
            }
        if kind == "failed":
            event["severity"] = rng.choice(("permanent", "temporary"))
            event["reason"] = "bounce" if event["severity"] == "permanent" else "generic"
        if kind == "accepted":
            event["method"] = rng.choice(("HTTP", "SMTP"))
        if kind == "rejected":
            event["reject"] = {"reason": "sandbox domain", "description": "not authorized"}
        if kind in ("opened", "clicked", "unsubscribed", "complained"):
            ctype, os_, device, client = rng.choice(_CLIENTS)
            event["client-info"] = {"client-type": ctype, "client-os": os_,
                                    "device-type": device, "client-name": client,
                                    "user-agent": f"Mozilla/5.0 ({os_}) {client}"}
            event["geolocation"] = {"country": "DE", "region": "BE", "city": "Berlin"}
            event["ip"] = f"192.0.2.{rng.randrange(1, 255)}"
        return event

    def document_records(self) -> dict[str, list[dict[str, Any]]]:
        """Records per resource of seed 002."""
        return {"domains": list(self._domains), "events": list(self._events)}

    # ------------------------------------------------------------------ HTTP

    def check_auth(self, request: web.Request) -> web.StreamResponse | None:
        if basic_credentials(request) == ("api", self.secrets["private_key"]):
            return None
        return web.Response(status=401, text="Forbidden",
                            headers={"WWW-Authenticate": 'Basic realm="MG API"'})

    def add_routes(self, app: web.Application) -> None:
        root = "/v3" if self.airbyte_paths else "/v1"
        app.router.add_get(root + "/domains", self._list_domains)
        app.router.add_get(root + "/events", self._list_events)

    async def _list_domains(self, request: web.Request) -> web.StreamResponse:
        limit = int_param(request, "limit", self.domains_default_limit, minimum=1,
                          maximum=self.domains_max_limit)
        skip = int_param(request, "skip", 0, minimum=0)
        return json_response({"items": self._domains[skip:skip + limit]})

    def _events_url(self, request: web.Request, position: int) -> str:
        query = {"from": encode_cursor("events", position)}
        if "limit" in request.query:
            query["limit"] = request.query["limit"]
        return str(request.url.with_query(query))

    async def _list_events(self, request: web.Request) -> web.StreamResponse:
        limit = int_param(request, "limit", self.events_page_size, minimum=1,
                          maximum=self.events_max_page_size)
        start = 0
        token = request.query.get("from")
        if token:
            if token.startswith(("http://", "https://")) and self.airbyte_paths:
                token = URL(token).query.get("from", "")
            elif token.startswith(("http://", "https://")):
                raise bad_request("'from' must be a page token; follow paging.next as a URL")
            decoded = decode_cursor(token, "events")
            if decoded is None:
                raise bad_request(f"invalid page token {token!r}")
            start = decoded
        items = self._events[start:start + limit]
        end = start + len(items)
        paging = {
            "next": self._events_url(request, end),
            "previous": self._events_url(request, max(start - limit, 0)),
            "first": self._events_url(request, 0),
            "last": self._events_url(request, max(len(self._events) - limit, 0)),
        }
        return json_response({"items": items, "paging": paging})
