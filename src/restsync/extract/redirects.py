"""Following HTTP redirects one hop at a time, so each hop is sent (and scoped) anew.

The transport never follows redirects itself: :class:`~restsync.extract.client.ApiClient`
sends every hop through its credential scoping, so a redirect to another host never carries
the API's credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urljoin

from restsync.errors import FatalError
from restsync.extract.http import Request, Response

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


async def send_following_redirects(send: Callable[[Request], Awaitable[Response]],
                                   request: Request, *, where: Callable[[], str]) -> Response:
    """Send ``request`` with ``send``, then every redirect hop, up to ``MAX_REDIRECTS``.

    A 303, and a 301/302 answering a POST, turn the next hop into a GET without a body (as
    browsers do); other redirects repeat the method and body. Query parameters come from the
    ``Location`` URL only.

    Raises:
        FatalError: More than ``MAX_REDIRECTS`` redirects (``where()`` names the request).
    """
    current = request
    for _ in range(MAX_REDIRECTS + 1):
        response = await send(current)
        location_header = response.headers.get("Location")
        if response.status not in _REDIRECT_STATUSES or not location_header:
            return response
        redirected = current.copy()
        redirected.url = urljoin(response.url, location_header)
        redirected.params = {}
        if response.status == 303 or (response.status in (301, 302) and current.method == "POST"):
            redirected.method, redirected.json, redirected.data = "GET", None, None
        current = redirected
    raise FatalError(f"more than {MAX_REDIRECTS} redirects", location=where())
