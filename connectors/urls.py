"""Keeping every request on the configured host: URLs a tracker hands back are re-based before use.

Trackers build the URLs they return — GitLab's pagination ``Link`` headers, Jira's comment ``self``,
Graph's ``@odata.nextLink`` — from their *own* idea of where they live (GitLab's ``external_url``, Jira's
base URL setting, Graph's front door). That is often not the URL okr-sync is configured with: an
internal DNS name, a reverse proxy, a port forward. Following such a URL verbatim sends the request, and
the token with it, to another host.

:func:`rebase` keeps the part of the URL from the API root on (``/api/v4/…``, ``/rest/…``, ``/v1.0/…``)
with its query, and puts the configured scheme, host, port and path prefix in front of it — the rule
python-gitlab applies to its own pagination with ``keep_base_url=True``. A URL without that API root
(a page of the web UI, a login page, something else entirely) is refused with a
:class:`~okr_sync.config.errors.SkippableError`: that answer is recorded, nothing is sent.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from okr_sync.config.errors import SkippableError


def rebase(url: str, base: str, api_root: str, *, tracker: str, what: str) -> str:
    """``url`` moved onto ``base`` (the configured URL, with its path prefix), from ``api_root`` on.

    ``api_root`` is the path segment(s) the tracker's API starts with (``/api/v4``); ``what`` names the
    URL in the refusal (``"the next-page link of issues of project okr/work"``).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("", "http", "https"):
        raise _refused(url, tracker, what, f"it is a {parts.scheme}: URL")
    root = api_root.strip("/")
    found = re.search(rf"(?:^|/)({re.escape(root)})(?=/|$)", parts.path) if root else None
    if found is None:
        raise _refused(url, tracker, what, f"its path is not under /{root}")
    path = "/" + parts.path[found.start(1):]
    return base.rstrip("/") + path + (f"?{parts.query}" if parts.query else "")


def split_api_root(url: str) -> tuple[str, str]:
    """``(base, api_root)`` of a configured URL whose last path segment is the API root.

    ``https://graph.microsoft.com/v1.0`` → ``("https://graph.microsoft.com", "/v1.0")``.
    """
    trimmed = url.rstrip("/")
    base, _, root = trimmed.rpartition("/")
    if "://" not in base or not root:
        return trimmed, "/"
    return base, "/" + root


def _refused(url: str, tracker: str, what: str, why: str) -> SkippableError:
    parts = urlsplit(url.strip())
    shown = f"{parts.scheme}://{parts.hostname}{parts.path}" if parts.hostname else parts.path or url[:80]
    return SkippableError(
        f"{what} points to {shown[:160]}, which okr-sync cannot re-base onto the configured URL ({why}); "
        "nothing was sent there. Check the tracker's own idea of its address (GitLab external_url, Jira "
        "Base URL, a proxy rewriting links) and the url configured for this tracker", tracker=tracker)
