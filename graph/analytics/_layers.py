"""Large lookup tables kept as a few changes over a shared, never-changed base. Internal to
:mod:`govgraph.graph.analytics`.

Why. Each write makes a new version of the projection and of its index, and the old versions
must stay as they were (requests may still be reading them). Copying a table costs time in
proportion to the city (and as much again to free it), and a write needs about ten of them.
A :class:`Layered` table shares its base with the version it came from and holds
only what changed since, so a new version costs its changes. A lookup costs a Python call
instead of a C one, so a pass over the whole graph reads a flattened table instead
(:meth:`Layered.flat`, once per version), and the changes are folded into a new base once they
outgrow a sixteenth of it (:meth:`Layered.over`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeAlias, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")

#: in :attr:`Layered.changes`: the key was removed from the base
_GONE: Any = object()
_MISSING: Any = object()

#: changes beyond this share of the base (and a small floor) are folded into a new base
_FOLD_SHARE = 16
_FOLD_FLOOR = 1024


class Layered(Generic[K, V]):
    """``base`` with ``changes`` on top. The base is never modified (older versions share it).

    Examples
    --------
    >>> old = {"a": 1, "b": 2}
    >>> new = Layered.over(old)
    >>> new["c"] = 3
    >>> new.discard("a")
    >>> new.get("a"), new.get("b"), new["c"], "a" in new, old, new.flat()
    (None, 2, 3, False, {'a': 1, 'b': 2}, {'b': 2, 'c': 3})
    """

    __slots__ = ("base", "changes")

    def __init__(self, base: Mapping[K, V], changes: dict[K, Any] | None = None) -> None:
        self.base = base
        self.changes: dict[K, Any] = {} if changes is None else changes

    @classmethod
    def over(cls, table: Table[K, V]) -> Layered[K, V]:
        """A layer to change on top of ``table`` (a dict or a layer), which stays as it was:
        the base is shared and the changes copied; changes grown past a sixteenth of the base
        are folded into a new one first, so a chain of versions stays cheap to read."""
        if not isinstance(table, Layered):
            return cls(table)
        if len(table.changes) * _FOLD_SHARE > len(table.base) + _FOLD_FLOOR * _FOLD_SHARE:
            return cls(table.flat())
        return cls(table.base, dict(table.changes))

    def get(self, key: K, default: Any = None) -> Any:
        value = self.changes.get(key, _MISSING)
        if value is _MISSING:
            return self.base.get(key, default)
        return default if value is _GONE else value

    def __getitem__(self, key: K) -> V:
        value = self.changes.get(key, _MISSING)
        if value is _MISSING:
            return self.base[key]
        if value is _GONE:
            raise KeyError(key)
        found: V = value
        return found

    def __contains__(self, key: object) -> bool:
        value = self.changes.get(key, _MISSING)  # type: ignore[arg-type]  # `in` takes any key
        return key in self.base if value is _MISSING else value is not _GONE

    def __setitem__(self, key: K, value: V) -> None:
        self.changes[key] = value

    def discard(self, key: K) -> None:
        """Remove ``key`` if present."""
        if key in self.base:
            self.changes[key] = _GONE
        else:
            self.changes.pop(key, None)

    def pop(self, key: K, default: Any = None) -> Any:
        """Remove ``key``; its value, or ``default`` if it was not there."""
        value = self.get(key, default)
        self.discard(key)
        return value

    def update(self, items: Mapping[K, V]) -> None:
        self.changes.update(items)

    def flat(self) -> dict[K, V]:
        """A plain dict with the same entries (a new one: the base is shared)."""
        out = dict(self.base)
        for k, v in self.changes.items():
            if v is _GONE:
                out.pop(k, None)
            else:
                out[k] = v
        return out

    def rebase(self, same: Mapping[K, V]) -> None:
        """Read ``same``, a flat table with the same entries, from now on (letting the old base
        go). A reader meanwhile sees the same entries, whichever of the two it reads."""
        self.base = same
        self.changes = {}


#: a lookup table: plain, or layered over an older version's
Table: TypeAlias = "Mapping[K, V] | Layered[K, V]"
#: a table also written to (a memo)
Memo: TypeAlias = "dict[K, V] | Layered[K, V]"


@overload
def flat(table: dict[K, V] | Layered[K, V]) -> dict[K, V]: ...
@overload
def flat(table: Mapping[K, V] | Layered[K, V]) -> Mapping[K, V]: ...
def flat(table: Table[K, V]) -> Mapping[K, V]:
    """``table`` without layers (itself when it has none)."""
    return table.flat() if isinstance(table, Layered) else table
