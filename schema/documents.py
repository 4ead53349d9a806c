"""What is kept per parsed GraphQL document: Strawberry's parse cache hands the same document
back for the same query text, so its identity is a key that costs nothing (a graphql-core
document hashes and compares by its whole tree). An entry goes when its document does, so the
parse cache bounds every table kept this way."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

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


def variables_key(sent: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    """A request's variables as a key for what is kept per document and variables (their types
    too: 1, 1.0 and true are one key otherwise); None when one is a list or an object."""
    try:
        key = tuple((name, type(value), value) for name, value in sorted((sent or {}).items()))
        hash(key)
    except TypeError:
        return None
    return key
