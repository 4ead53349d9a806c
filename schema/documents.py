"""What is kept per parsed GraphQL document: Strawberry's parse cache hands the same document
back for the same query text, so its identity is a key that costs nothing (a graphql-core
document hashes and compares by its whole tree). An entry goes when its document does, so the
parse cache bounds every table kept this way."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerDocument(Generic[T]):
    """Values by the identity of a document or of one of its nodes (an operation, say)."""

    def __init__(self) -> None:
        self._values: dict[int, T] = {}

    def get(self, owner: object) -> T | None:
        return self._values.get(id(owner))

    def put(self, owner: object, value: T) -> T:
        key = id(owner)
        if key not in self._values:  # one finalizer per owner, however often it is replaced
            weakref.finalize(owner, self._values.pop, key, None)
        self._values[key] = value
        return value

    def obtain(self, owner: object, make: Callable[[], T]) -> T:
        """The value kept for ``owner``, made on first use."""
        found = self._values.get(id(owner))
        return self.put(owner, make()) if found is None else found

    def __len__(self) -> int:
        return len(self._values)
