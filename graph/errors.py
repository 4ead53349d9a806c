"""One error root for the whole project, with errors that say what was expected.

Every error a user can cause derives from :class:`GovGraphError`. Validation errors carry a list
of :class:`Problem` items so a caller (a loader, a GraphQL mutation) can report all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


class GovGraphError(Exception):
    """Root of every error raised by governance-graph.

    ``code`` names the kind of failure for machines (the GraphQL API puts it in an error's
    ``extensions.code``); each subclass sets its own.
    """

    code: ClassVar[str] = "GOVGRAPH_ERROR"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one record: which record and field, what it held, what was expected."""

    subject: str
    field: str
    value: Any
    expected: str

    def __str__(self) -> str:
        return f"{self.subject}: field {self.field!r} = {self.value!r}; expected {self.expected}"


class ValidationError(GovGraphError, ValueError):
    """Data that does not fit the domain model. ``problems`` lists every mistake found."""

    code = "VALIDATION_FAILED"

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        lines = [str(p) for p in self.problems]
        head = f"{len(lines)} invalid value(s)" if len(lines) > 1 else "invalid value"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class NotFoundError(GovGraphError, LookupError):
    """A node or link that a write refers to does not exist."""

    code = "NOT_FOUND"

    def __init__(self, what: str, ids: list[str]) -> None:
        self.ids = ids
        shown = ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
        super().__init__(f"{what} not found: {shown}")


class ConflictError(GovGraphError):
    """A write that contradicts what is stored (for example an id reused for another kind)."""

    code = "CONFLICT"


class StoreUnavailableError(GovGraphError):
    """The storage backend cannot be reached or cannot serve now, and the operation did not
    happen (a write that may have happened is :class:`CommitOutcomeUnknownError`)."""

    code = "STORE_UNAVAILABLE"


class CommitOutcomeUnknownError(StoreUnavailableError):
    """The store went away after a write's commit was sent and before its answer came: the
    write may or may not be stored. Every mutation may be sent again as it was (docs/graphql.md,
    "Retrying a write"); a store error of its own, so a client need not parse the message."""

    code = "COMMIT_OUTCOME_UNKNOWN"


class CorruptStoreError(GovGraphError):
    """A persisted store file cannot be read back."""

    code = "STORE_CORRUPT"


class ForbiddenError(GovGraphError, PermissionError):
    """The caller's role may not see or do this."""

    code = "FORBIDDEN"
