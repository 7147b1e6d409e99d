"""Sandbox of seed 004 (``examples/seeds/project_api.md``): a Basecamp-like project API.

* OAuth2 refresh-token grant at ``/authorization/token`` on the API host itself.
* Every list is paged by RFC 8288 ``Link: <absolute url>; rel="next"`` (absent on the last
  page), with a ``page`` query parameter; bodies are ``{"data": [...]}`` as the document says.
* ``/v1/projects.json``; ``/v1/projects/{id}.json`` (one project with a ``dock`` list of
  tools); ``/v1/buckets/{project_id}/schedules/{schedule_id}/entries.json`` (404 when the
  dock tool is not a schedule); ``/v1/projects/recordings.json`` (todos and messages mixed
  unless ``type`` is given, ``updated_at`` ISO-8601 with milliseconds and ``Z``, sorted by
  ``updated_at`` descending unless ``sort``/``direction`` say otherwise).
* ``account_id=N`` serves the API as Basecamp 3 does, for Airbyte's Basecamp manifest: at
  ``/N/...`` instead of ``/v1/...``, bodies bare JSON arrays.
* Test controls: :meth:`ProjectApiSandbox.touch_recordings`, :meth:`add_recordings`.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from restsync.sandbox._common import bad_request, bearer_token, int_param, json_response, not_found
from restsync.sandbox._server import OAuthClient, SandboxServer

_DOCK = ("message_board", "todoset", "vault", "chat", "schedule", "questionnaire")
_DOCK_TITLES = {"message_board": "Message Board", "todoset": "To-dos", "vault": "Docs & Files",
                "chat": "Campfire", "schedule": "Schedule", "questionnaire": "Automatic Check-ins"}
_URL_SEGMENT = {"message_board": "message_boards", "todoset": "todosets", "vault": "vaults",
                "chat": "chats", "schedule": "schedules", "questionnaire": "questionnaires"}
_TYPES = ("Todo", "Message")
_ALL_TYPES = ("Comment", "Document", "Message", "Question::Answer", "Schedule::Entry", "Todo",
              "Todolist", "Upload")
_EPOCH = datetime(2023, 7, 1, tzinfo=UTC)
_PERSON = {"id": 1049715913, "name": "Sandbox Person", "email_address": "person@example.com",
           "personable_type": "User", "admin": True, "time_zone": "UTC"}


def iso_ms(moment: datetime) -> str:
    """``2024-01-02T03:04:05.678Z``: the API's timestamp format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset) into an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ProjectApiSandbox(SandboxServer):
    """Basecamp-like API of seed 004.

    Args:
        projects: Number of projects.
        projects_page_size: Projects per page.
        entries: ``(min, max)`` entries per schedule (the last project's schedule is disabled
            and empty).
        entries_page_size: Schedule entries per page.
        todos: Number of todo recordings.
        messages: Number of message recordings.
        recordings_page_size: Recordings per page.
        start_date: The ``start_date`` config value; about half the recordings are older.
        **kwargs: See :class:`SandboxServer`.
    """

    name = "project_api"
    resources = ("projects", "schedules", "schedule_entries", "todos", "messages")
    token_path = "/authorization/token"
    token_prefix = "sbx-project-at"

    def __init__(
        self,
        *,
        projects: int = 7,
        projects_page_size: int = 3,
        entries: tuple[int, int] = (0, 12),
        entries_page_size: int = 5,
        todos: int = 90,
        messages: int = 40,
        recordings_page_size: int = 25,
        start_date: str = "2024-01-01T00:00:00Z",
        account_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("token_ttl", 1_209_600.0)
        super().__init__(**kwargs)
        self.projects_page_size = projects_page_size
        self.entries_page_size = entries_page_size
        self.recordings_page_size = recordings_page_size
        self.account_id = account_id
        self.secrets = {
            "client_id": "sandbox-project-client-id",
            "client_secret": "sandbox-project-client-secret-DO-NOT-LOG",
            "refresh_token": "sandbox-project-refresh-token-DO-NOT-LOG",
        }
        self.config = {"start_date": start_date}
        self.oauth = OAuthClient(
            client_id=self.secrets["client_id"], client_secret=self.secrets["client_secret"],
            refresh_token=self.secrets["refresh_token"], expires_in=1_209_600,
        )
        self._lock = threading.Lock()
        self._rng = random.Random(f"project_api:{self.seed}")
        self._next_id = 2_000_000_000
        self._projects: list[dict[str, Any]] = []
        self._entries: dict[int, list[dict[str, Any]]] = {}  # schedule id -> entries
        for i in range(projects):
            self._make_project(i, last=i == projects - 1, entries=entries)
        self._recordings: list[dict[str, Any]] = []
        # distinct millisecond instants spread over a year from 2023-07-01 (none on a second)
        span_ms = 365 * 86_400_000
        offsets = sorted(self._rng.sample(range(span_ms // 7), todos + messages))
        kinds = ["Todo"] * todos + ["Message"] * messages
        self._rng.shuffle(kinds)
        for offset, kind in zip(offsets, kinds, strict=True):
            self._recordings.append(self._make_recording(kind, _EPOCH + timedelta(milliseconds=offset * 7 + 1)))
        self._clock = max((parse_iso(r["updated_at"]) for r in self._recordings), default=_EPOCH)

    # ------------------------------------------------------------------ data

    def _new_id(self) -> int:
        self._next_id += self._rng.randint(1, 97)
        return self._next_id

    def _make_project(self, i: int, *, last: bool, entries: tuple[int, int]) -> None:
        project_id = 1_000_000 + i * 113
        dock = []
        for position, tool in enumerate(_DOCK, start=1):
            tool_id = self._new_id()
            enabled = not (tool == "schedule" and last) and not (tool == "questionnaire" and i % 2)
            dock.append({
                "id": tool_id, "title": _DOCK_TITLES[tool], "name": tool, "enabled": enabled,
                "position": position if enabled else None,
                "url": f"/v1/buckets/{project_id}/{_URL_SEGMENT[tool]}/{tool_id}.json",
                "app_url": f"https://app.example.com/buckets/{project_id}/{_URL_SEGMENT[tool]}/{tool_id}",
            })
            if tool == "schedule":
                count = 0 if last else self._rng.randint(*entries)
                self._entries[tool_id] = [self._make_entry(project_id, tool_id, j) for j in range(count)]
        created = _EPOCH - timedelta(days=200 - i * 9)
        self._projects.append({
            "id": project_id, "status": "active", "name": f"Project {chr(65 + i % 26)}{i}",
            "description": f"Sandbox project number {i}", "purpose": "topic",
            "clients_enabled": False, "bookmarked": i % 3 == 0,
            "created_at": iso_ms(created), "updated_at": iso_ms(created + timedelta(days=30)),
            "url": f"/v1/projects/{project_id}.json",
            "app_url": f"https://app.example.com/projects/{project_id}", "dock": dock,
        })

    def _make_entry(self, project_id: int, schedule_id: int, j: int) -> dict[str, Any]:
        starts = _EPOCH + timedelta(days=j * 3, hours=9)
        return {
            "id": self._new_id(), "status": "active", "type": "Schedule::Entry",
            "title": f"Milestone {j + 1}", "summary": f"Milestone {j + 1}", "description": "",
            "all_day": j % 4 == 0, "starts_at": iso_ms(starts),
            "ends_at": iso_ms(starts + timedelta(hours=1)),
            "created_at": iso_ms(starts - timedelta(days=10)),
            "updated_at": iso_ms(starts - timedelta(days=9)),
            "comments_count": j % 3, "creator": _PERSON,
            "participants": [{"id": 7000 + k, "name": f"Member {k}"} for k in range(j % 3)],
            "parent": {"id": schedule_id, "title": "Schedule", "type": "Schedule"},
            "bucket": {"id": project_id, "name": "Project", "type": "Project"},
        }

    def _make_recording(self, kind: str, updated: datetime) -> dict[str, Any]:
        project = self._projects[self._rng.randrange(len(self._projects))] if self._projects else None
        bucket = {"id": project["id"], "name": project["name"], "type": "Project"} if project else None
        record: dict[str, Any] = {
            "id": self._new_id(), "status": "active", "type": kind, "visible_to_clients": False,
            "created_at": iso_ms(updated - timedelta(days=self._rng.randint(0, 30))),
            "updated_at": iso_ms(updated), "inherits_status": True, "bucket": bucket,
            "creator": _PERSON, "comments_count": self._rng.randint(0, 4),
        }
        if kind == "Todo":
            record.update(title=f"Do thing {record['id'] % 1000}", content="Do the thing",
                          completed=self._rng.random() < 0.4,
                          due_on=(updated + timedelta(days=7)).date().isoformat(),
                          assignees=[{"id": 7000 + k, "name": f"Member {k}"}
                                     for k in range(self._rng.randint(0, 2))],
                          parent={"id": 99, "title": "Launch list", "type": "Todolist"})
        else:
            record.update(title=f"Announcement {record['id'] % 1000}",
                          subject=f"Announcement {record['id'] % 1000}", content="<div>Hi</div>",
                          category={"id": 5, "name": "Announcement", "icon": "📢"},
                          parent={"id": 98, "title": "Message Board", "type": "Message::Board"})
        return record

    # ------------------------------------------------------------------ test controls

    def _tick(self) -> datetime:
        self._clock += timedelta(milliseconds=self._rng.randint(1_000, 60_000), microseconds=7000)
        return self._clock

    def touch_recordings(self, count: int = 1, *, type: str | None = None) -> list[int]:
        """Modify ``count`` recordings (the oldest first): new ``updated_at`` after all others.

        Returns:
            The ids of the modified recordings.
        """
        with self._lock:
            pool = [r for r in self._recordings if type is None or r["type"] == type]
            pool.sort(key=lambda r: r["updated_at"])
            touched = pool[:count]
            for record in touched:
                record["updated_at"] = iso_ms(self._tick())
                record["title"] = record["title"] + " (edited)"
            return [r["id"] for r in touched]

    def add_recordings(self, count: int = 1, *, type: str = "Todo") -> list[int]:
        """Add ``count`` recordings of ``type`` newer than every existing one; returns ids."""
        if type not in _TYPES:
            raise ValueError(f"type must be one of {_TYPES}")
        with self._lock:
            new = [self._make_recording(type, self._tick()) for _ in range(count)]
            self._recordings.extend(new)
            return [r["id"] for r in new]

    def recordings(self, *, type: str | None = None, since: str | None = None,
                   inclusive: bool = True) -> list[dict[str, Any]]:
        """Recordings (newest first), optionally of one ``type`` and updated at/after ``since``."""
        with self._lock:
            rows = [dict(r) for r in self._recordings if type is None or r["type"] == type]
        if since is not None:
            start = parse_iso(since)
            rows = [r for r in rows if parse_iso(r["updated_at"]) > start
                    or (inclusive and parse_iso(r["updated_at"]) == start)]
        rows.sort(key=lambda r: r["updated_at"], reverse=True)
        return rows

    def max_updated_at(self) -> str:
        """The newest ``updated_at`` of all recordings."""
        return self.recordings()[0]["updated_at"]

    def schedule_ids(self) -> list[tuple[int, int]]:
        """``(project_id, schedule_id)`` of every dock tool named ``schedule``."""
        return [(p["id"], t["id"]) for p in self._projects for t in p["dock"] if t["name"] == "schedule"]

    def document_records(self) -> dict[str, list[dict[str, Any]]]:
        """Records per resource of seed 004 as written (``todos`` and ``messages`` read the
        same URL without ``type``, so both get every recording since ``start_date``)."""
        since = self.recordings(since=self.config["start_date"])
        return {
            "projects": [dict(p) for p in self._projects],
            "schedules": [t for p in self._projects for t in p["dock"]],
            "schedule_entries": [e for _, sid in self.schedule_ids() for e in self._entries[sid]],
            "todos": since, "messages": list(since),
        }

    # ------------------------------------------------------------------ HTTP

    def check_auth(self, request: web.Request) -> web.StreamResponse | None:
        if self.bearer_ok(bearer_token(request)):
            return None
        return web.Response(status=401, text="HTTP Token: Access denied.\n",
                            headers={"WWW-Authenticate": 'Bearer realm="Sandbox"'})

    def add_routes(self, app: web.Application) -> None:
        root = "/v1" if self.account_id is None else f"/{self.account_id}"
        app.router.add_get(root + "/projects.json", self._list_projects)
        app.router.add_get(root + "/projects/recordings.json", self._list_recordings)
        app.router.add_get(root + r"/projects/{project_id:\d+}.json", self._get_project)
        app.router.add_get(root + r"/buckets/{project_id:\d+}/schedules/{schedule_id:\d+}/entries.json",
                           self._list_entries)

    def _paged(self, request: web.Request, rows: list[dict[str, Any]], size: int) -> web.Response:
        page = int_param(request, "page", 1, minimum=1)
        start = (page - 1) * size
        headers = {}
        if start + size < len(rows):
            next_url = request.url.update_query({"page": str(page + 1)})
            headers["Link"] = f'<{next_url}>; rel="next"'
        headers["X-Total-Count"] = str(len(rows))
        page_rows = rows[start:start + size]
        body: Any = page_rows if self.account_id is not None else {"data": page_rows}
        return json_response(body, headers=headers)

    async def _list_projects(self, request: web.Request) -> web.StreamResponse:
        return self._paged(request, self._projects, self.projects_page_size)

    async def _get_project(self, request: web.Request) -> web.StreamResponse:
        project_id = int(request.match_info["project_id"])
        for project in self._projects:
            if project["id"] == project_id:
                return json_response(project)
        raise not_found(f"project {project_id} not found")

    async def _list_entries(self, request: web.Request) -> web.StreamResponse:
        key = (int(request.match_info["project_id"]), int(request.match_info["schedule_id"]))
        if key not in self.schedule_ids():
            raise not_found(f"no schedule {key[1]} in project {key[0]}")
        return self._paged(request, self._entries[key[1]], self.entries_page_size)

    async def _list_recordings(self, request: web.Request) -> web.StreamResponse:
        kind = request.query.get("type")
        if kind is not None and kind not in _ALL_TYPES:
            raise bad_request(f"type must be one of {', '.join(_ALL_TYPES)}")
        sort = request.query.get("sort", "updated_at")
        direction = request.query.get("direction", "desc")
        if sort not in ("created_at", "updated_at") or direction not in ("asc", "desc"):
            raise bad_request("sort must be created_at|updated_at and direction asc|desc")
        status = request.query.get("status", "active")
        buckets = {int(b) for b in request.query["bucket"].split(",") if b.isdigit()} \
            if request.query.get("bucket") else None
        with self._lock:
            rows = [r for r in self._recordings
                    if (kind is None or r["type"] == kind) and r["status"] == status
                    and (buckets is None or (r["bucket"] or {}).get("id") in buckets)]
        rows.sort(key=lambda r: (r[sort], r["id"]), reverse=direction == "desc")
        return self._paged(request, rows, self.recordings_page_size)
