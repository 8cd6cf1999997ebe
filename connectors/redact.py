"""Keeping secrets out of everything okr-sync prints, logs or stores."""

from __future__ import annotations

import re
from collections.abc import Iterable

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_QUERY_SECRETS = re.compile(r"(?i)([?&](?:private_token|access_token|token|client_secret|code|sig)=)[^&\s#]+")
_AUTH_HEADER = re.compile(
    r"(?i)((?:authorization|private-token|x-gitlab-token|x-hub-signature)\s*[:=]\s*)(\S+(?: \S+)?)"
)
MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials in URLs, auth headers, token query parameters and the given secrets masked."""
    result = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    result = _QUERY_SECRETS.sub(lambda m: f"{m.group(1)}{MASK}", result)
    result = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{MASK}", result)
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        result = result.replace(secret, MASK)
    return result
