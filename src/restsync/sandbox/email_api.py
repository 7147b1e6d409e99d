"""Sandbox of seed 000 (``examples/seeds/email_api.md``): a Gmail-like mailbox API.

* OAuth2 refresh-token grant at ``/o/oauth2/token`` on a separate server ("another host").
* API under ``/v1/users/me/``: ``profile`` (one object under ``data``, no ``id``),
  ``drafts`` / ``messages`` / ``threads`` (cursor paging: ``nextPageToken`` in the body,
  ``pageToken`` and ``maxResults`` query parameters, default 100 per page, at most 500),
  ``labels`` (one page under ``labels``), and detail endpoints ``labels/{id}``,
  ``messages/{id}``, ``threads/{id}`` answering ``{"data": {...}}`` with nested objects/lists.
* Every API call needs ``Authorization: Bearer <access token>``; else 401.
"""

from __future__ import annotations

import base64
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
    not_found,
)
from restsync.sandbox._server import OAuthClient, SandboxServer

_SYSTEM_LABELS = ("INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "STARRED", "IMPORTANT", "UNREAD",
                  "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_UPDATES")
_WORDS = ("quarterly", "report", "lunch", "invoice", "meeting", "notes", "travel", "review",
          "draft", "budget", "launch", "team", "update", "question", "photos", "weekend")
_ADDRESS = "sandbox.user@example.com"


class EmailApiSandbox(SandboxServer):
    """Gmail-like API of seed 000.

    Args:
        drafts: Number of drafts.
        messages: Number of messages.
        threads: Number of threads (every thread holds at least one message; must be
            between 1 and ``messages``).
        user_labels: Number of user labels (system labels are always there).
        default_page_size: Page size when ``maxResults`` is not sent.
        max_page_size: Upper bound of ``maxResults``.
        **kwargs: See :class:`SandboxServer` (``seed``, ``latency``, token settings).
    """

    name = "email_api"
    resources = ("profile", "drafts", "labels", "labels_details", "messages",
                 "messages_details", "threads", "threads_details")
    api_root = "/v1/users/me/"
    token_path = "/o/oauth2/token"
    token_on_separate_host = True
    token_prefix = "sbx-email-at"

    def __init__(
        self,
        *,
        drafts: int = 230,
        messages: int = 520,
        threads: int = 310,
        user_labels: int = 6,
        default_page_size: int = 100,
        max_page_size: int = 500,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 1 <= threads <= messages:
            raise ValueError("threads must be between 1 and messages")
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.secrets = {
            "client_id": "sandbox-email-client-id",
            "client_secret": "sandbox-email-client-secret-DO-NOT-LOG",
            "client_refresh_token": "sandbox-email-refresh-token-DO-NOT-LOG",
        }
        self.oauth = OAuthClient(
            client_id=self.secrets["client_id"], client_secret=self.secrets["client_secret"],
            refresh_token=self.secrets["client_refresh_token"], expires_in=3599,
            extra={"scope": "https://mail.example.com/readonly"},
        )
        self._generate(drafts, messages, threads, user_labels)

    # ------------------------------------------------------------------ data

    def _generate(self, n_drafts: int, n_messages: int, n_threads: int, n_user: int) -> None:
        rng = random.Random(f"email_api:{self.seed}")
        labels: list[dict[str, Any]] = [
            {"id": name, "name": name, "type": "system",
             "messageListVisibility": "show" if i % 2 == 0 else "hide",
             "labelListVisibility": "labelShow"}
            for i, name in enumerate(_SYSTEM_LABELS)
        ]
        for i in range(n_user):
            labels.append({
                "id": f"Label_{i + 1}", "name": f"Projects/{_WORDS[i % len(_WORDS)]}-{i}",
                "type": "user", "messageListVisibility": "show",
                "labelListVisibility": "labelShowIfUnread",
                "color": {"textColor": "#ffffff", "backgroundColor": f"#{rng.randrange(16**6):06x}"},
            })
        thread_ids = [f"t{0x18a0000000000000 + i * 7919:x}" for i in range(n_threads)]
        label_ids = [lbl["id"] for lbl in labels]
        messages: list[dict[str, Any]] = []
        base_ms = 1_700_000_000_000
        for i in range(n_messages):
            thread_id = thread_ids[i] if i < n_threads else rng.choice(thread_ids)
            subject = " ".join(rng.choice(_WORDS) for _ in range(3)).capitalize()
            sender = f"{rng.choice(_WORDS)}.{rng.randrange(100)}@example.org"
            text = f"Hello, about the {subject.lower()}. Regards"
            messages.append({
                "id": f"m{0x18b0000000000000 + i * 104729:x}",
                "threadId": thread_id,
                "labelIds": rng.sample(label_ids, rng.randint(1, 3)),
                "snippet": text[:60],
                "historyId": str(100000 + i),
                "internalDate": str(base_ms + i * 60_000),
                "sizeEstimate": rng.randint(800, 90_000),
                "payload": {
                    "partId": "", "mimeType": "multipart/alternative", "filename": "",
                    "headers": [
                        {"name": "From", "value": sender},
                        {"name": "To", "value": _ADDRESS},
                        {"name": "Subject", "value": subject},
                        {"name": "Date", "value": f"Tue, 14 Nov 2023 {i % 24:02d}:00:00 +0000"},
                    ][: rng.randint(2, 4)],
                    "body": {"size": 0},
                    "parts": [
                        {"partId": "0", "mimeType": "text/plain", "filename": "",
                         "headers": [{"name": "Content-Type", "value": "text/plain; charset=UTF-8"}],
                         "body": {"size": len(text),
                                  "data": base64.urlsafe_b64encode(text.encode()).decode()}},
                    ],
                },
            })
        by_thread: dict[str, list[dict[str, Any]]] = {t: [] for t in thread_ids}
        for msg in messages:
            by_thread[msg["threadId"]].append(msg)
        self._labels = labels
        self._messages = messages
        self._threads = [
            {"id": t, "snippet": by_thread[t][-1]["snippet"], "historyId": by_thread[t][-1]["historyId"]}
            for t in thread_ids
        ]
        self._thread_messages = by_thread
        self._drafts = [
            {"id": f"r-{1000 + i * 37}",
             "message": {"id": f"d{0x18c0000000000000 + i * 31:x}", "threadId": rng.choice(thread_ids)}}
            for i in range(n_drafts)
        ]
        self._label_by_id = {lbl["id"]: lbl for lbl in labels}
        self._message_by_id = {m["id"]: m for m in messages}
        self._thread_by_id = {t["id"]: t for t in self._threads}

    def _label_detail(self, label: dict[str, Any]) -> dict[str, Any]:
        tagged = [m for m in self._messages if label["id"] in m["labelIds"]]
        return {**label, "messagesTotal": len(tagged),
                "messagesUnread": sum(1 for m in tagged if "UNREAD" in m["labelIds"]),
                "threadsTotal": len({m["threadId"] for m in tagged}),
                "threadsUnread": len({m["threadId"] for m in tagged if "UNREAD" in m["labelIds"]})}

    def _thread_detail(self, thread: dict[str, Any]) -> dict[str, Any]:
        return {"id": thread["id"], "historyId": thread["historyId"],
                "messages": self._thread_messages[thread["id"]]}

    def _profile(self) -> dict[str, Any]:
        return {"emailAddress": _ADDRESS, "messagesTotal": len(self._messages),
                "threadsTotal": len(self._threads), "historyId": str(100000 + len(self._messages))}

    def document_records(self) -> dict[str, list[dict[str, Any]]]:
        """Records per resource of seed 000 (details: one per parent record)."""
        return {
            "profile": [self._profile()],
            "drafts": list(self._drafts),
            "labels": list(self._labels),
            "labels_details": [self._label_detail(lbl) for lbl in self._labels],
            "messages": [{"id": m["id"], "threadId": m["threadId"]} for m in self._messages],
            "messages_details": list(self._messages),
            "threads": list(self._threads),
            "threads_details": [self._thread_detail(t) for t in self._threads],
        }

    # ------------------------------------------------------------------ HTTP

    def check_auth(self, request: web.Request) -> web.StreamResponse | None:
        if self.bearer_ok(bearer_token(request)):
            return None
        return json_response(
            {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                       "status": "UNAUTHENTICATED"}},
            status=401, headers={"WWW-Authenticate": 'Bearer realm="https://accounts.example.com/"'},
        )

    def add_routes(self, app: web.Application) -> None:
        root = self.api_root
        app.router.add_get(root + "profile", self._get_profile)
        app.router.add_get(root + "drafts", self._list("drafts"))
        app.router.add_get(root + "messages", self._list("messages"))
        app.router.add_get(root + "threads", self._list("threads"))
        app.router.add_get(root + "labels", self._get_labels)
        app.router.add_get(root + "labels/{id}", self._get_label)
        app.router.add_get(root + "messages/{id}", self._get_message)
        app.router.add_get(root + "threads/{id}", self._get_thread)

    async def _get_profile(self, request: web.Request) -> web.StreamResponse:
        return json_response({"data": self._profile()})

    def _list(self, kind: str) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            if kind == "drafts":
                rows = self._drafts
            elif kind == "messages":
                rows = [{"id": m["id"], "threadId": m["threadId"]} for m in self._messages]
            else:
                rows = self._threads
            size = int_param(request, "maxResults", self.default_page_size, minimum=1,
                             maximum=self.max_page_size)
            start = 0
            token = request.query.get("pageToken")
            if token:
                decoded = decode_cursor(token, kind)
                if decoded is None:
                    raise bad_request(f"Invalid pageToken {token!r}")
                start = decoded
            page = rows[start:start + size]
            body: dict[str, Any] = {kind: page, "resultSizeEstimate": len(rows)}
            if start + size < len(rows):
                body["nextPageToken"] = encode_cursor(kind, start + size)
            return json_response(body)

        return handler

    async def _get_labels(self, request: web.Request) -> web.StreamResponse:
        return json_response({"labels": self._labels})

    async def _get_label(self, request: web.Request) -> web.StreamResponse:
        label = self._label_by_id.get(request.match_info["id"])
        if label is None:
            raise not_found("Requested entity was not found.")
        return json_response({"data": self._label_detail(label)})

    async def _get_message(self, request: web.Request) -> web.StreamResponse:
        message = self._message_by_id.get(request.match_info["id"])
        if message is None:
            raise not_found("Requested entity was not found.")
        return json_response({"data": message})

    async def _get_thread(self, request: web.Request) -> web.StreamResponse:
        thread = self._thread_by_id.get(request.match_info["id"])
        if thread is None:
            raise not_found("Requested entity was not found.")
        return json_response({"data": self._thread_detail(thread)})
