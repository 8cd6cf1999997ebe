"""The one error family of okr-sync, split by what the caller should do.

Modelled on the Singer SDK's split: configuration problems stop and explain, auth/permission problems stop
one tracker scope and name the missing permission, retriable problems back off (honouring ``Retry-After``),
skippable problems are recorded and the cycle goes on. Every message says what is wrong, where, and how to
fix it, and never carries a secret.
"""

from __future__ import annotations

from dataclasses import dataclass


class SyncError(Exception):
    """Root of every error okr-sync raises on purpose."""

    disposition: str = "fatal"
    http_status: int | None = None
    """The HTTP status the tracker answered, when the error classifies an answer (None otherwise)."""

    def __init__(self, message: str, *, tracker: str | None = None, subject: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tracker = tracker
        self.subject = subject

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.tracker, self.subject) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration problem: where it is (file, line, dotted key path) and what is wrong."""

    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def render(self) -> str:
        """``file:line: key.path: message`` — the format of ``okr-sync validate``."""
        location = f"{self.file or '<config>'}:{self.line if self.line is not None else '-'}"
        return _one_line(f"{location}: {self.path or '(top)'}: {self.message}")

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message}


_CONTROL = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def _one_line(text: str) -> str:
    """Control characters (newlines from a quoted value, terminal escapes) shown escaped, on one line."""
    return text.translate(_CONTROL)


class ConfigurationError(SyncError):
    """The configuration is invalid: stop and explain every problem at once."""

    disposition = "configuration"

    def __init__(self, problems: list[Problem] | str, *, tracker: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(path="", message=problems)]
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems), tracker=tracker)


class AuthError(SyncError):
    """Credentials rejected or a permission missing: stop this tracker scope, name what is missing."""

    disposition = "auth"


class RetriableError(SyncError):
    """A transient failure (rate limit, 5xx, timeout, dropped connection): back off and try again."""

    disposition = "retriable"

    def __init__(
        self,
        message: str,
        *,
        tracker: str | None = None,
        subject: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, tracker=tracker, subject=subject)
        self.retry_after = retry_after


class DeferredError(RetriableError):
    """The tracker asked for a longer pause (``Retry-After``) than okr-sync waits inside a cycle.

    The attempt ends at once and the tracker is not contacted again until ``retry_after`` seconds have
    passed: never a request before the server allows one.
    """

    disposition = "deferred"


class SkippableError(SyncError):
    """One item or write cannot be processed (missing item, bad field value): record it and go on."""

    disposition = "skippable"
