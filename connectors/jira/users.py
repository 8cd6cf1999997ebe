"""Listing every Jira user for ``okr-sync people import``, within what each deployment really serves.

- **Cloud** ``GET /users/search``: pages may come back shorter than asked before the end (accounts the
  caller may not see are dropped after the page is cut) and page boundaries may repeat an account.
  So: ``startAt`` advances by the page size asked, accounts are de-duplicated by ``accountId``, and the
  listing ends after two empty pages in a row (one empty page can be a page of hidden accounts).
  E-mails are often hidden by profile visibility: ``email`` is then None, and people import matches by
  account id or display name instead.
- **Server/Data Center** ``GET /user/search?username=``: Data Center 10 answers at most 100 users per
  query and its ``startAt`` pages inside those 100 (JRASERVER-78520, JRASERVER-78660); older servers
  cap at 1000. A query that may have hit the cap (a full page, and the next page brings nobody new) is
  split by prefix — ``a``, ``b``, … then ``aa``, ``ab``, … — until each part is complete; Server matches
  the start of the user name, of a display-name word or of the e-mail, and results are de-duplicated by
  user name. Every user name's own chain of prefixes is followed, so each user is either listed or its
  prefix, still capped after :data:`MAX_DEPTH` characters, is reported — never silently dropped. Cost:
  one request per query, 40 more per capped prefix; measured on the emulator: under 100 users 1 request,
  260 users 41, 1000 users 1121 (a display-name word shared by more than 100 people, like a common
  surname, keeps its prefixes capped down to the whole word: about 200 requests each). Older servers:
  1200 users in 3. User names starting with a character outside :data:`PREFIX_CHARS` are only listed
  when a query returns them anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PREFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._-@"
MAX_DEPTH = 8
"""Prefix length at most: a crowd sharing a longer prefix (or a display-name word) is reported."""
CLOUD_PAGE = 100
MAX_PAGES = 2000
"""A guard against a server that never stops answering (200,000 Cloud accounts at 100 per page)."""

Fetch = Callable[[str, dict[str, Any]], Any]


def cloud_users(fetch: Fetch) -> list[dict[str, Any]]:
    """Every account ``/users/search`` shows, once each (see the module docstring)."""
    found: dict[str, dict[str, Any]] = {}
    start, empty = 0, 0
    for _ in range(MAX_PAGES):
        page = fetch("users/search", {"startAt": start, "maxResults": CLOUD_PAGE})
        page = [u for u in page if isinstance(u, dict)] if isinstance(page, list) else []
        for user in page:
            if user.get("accountId"):
                found.setdefault(str(user["accountId"]), user)
        empty = 0 if page else empty + 1
        if empty >= 2:
            break
        start += CLOUD_PAGE
    return list(found.values())


def server_users(fetch: Fetch, major_version: int) -> tuple[list[dict[str, Any]], list[str]]:
    """(every user ``/user/search`` can show, the query prefixes that stayed capped) on Server/DC."""
    size = 100 if major_version >= 10 else 1000
    found: dict[str, dict[str, Any]] = {}
    capped: list[str] = []

    def walk(term: str, depth: int) -> None:
        complete = _search(fetch, term, size, found)
        if complete:
            return
        if depth >= MAX_DEPTH:
            capped.append(term)
            return
        for char in PREFIX_CHARS:
            if term == "." and char == ".":  # "." alone is Server's "everyone", not a prefix
                continue
            walk(char if term == "." else term + char, depth + 1)

    walk(".", 0)
    return list(found.values()), capped


def _search(fetch: Fetch, term: str, size: int, found: dict[str, dict[str, Any]]) -> bool:
    """Add the users matching ``term``; True when the answer is known to be complete.

    Data Center 10 (``size`` 100): one page; a full one may have been cut at the cap, and ``startAt``
    cannot reach past it, so it counts as incomplete. Older servers: page on until a short page; a full
    page followed by nobody new counts as incomplete.
    """
    start = 0
    while True:
        page = fetch("user/search", {"username": term, "startAt": start, "maxResults": size})
        page = [u for u in page if isinstance(u, dict)] if isinstance(page, list) else []
        new = 0
        for user in page:
            key = str(user.get("name") or user.get("key") or "")
            if key and key not in found:
                found[key] = user
                new += 1
        if len(page) < size:
            return True
        if size <= 100 or not new:
            return False
        start += len(page)
