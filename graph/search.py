"""Name search shared by the stores: ranking for the embedded store, query text for Lucene."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import Node

_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def rank_names(text: str, nodes: Iterable[Node], limit: int) -> list[Node]:
    """Nodes whose name contains every word of ``text`` (case-insensitive), best first.

    Exact matches come first, then prefix matches, then shorter names; ties by id.

    >>> from govgraph.graph.model import node
    >>> [n.id for n in rank_names("云北", [node("Compound", "a", name="云北苑小区"),
    ...                                     node("Compound", "b", name="云北")], 5)]
    ['b', 'a']
    """
    words = normalise(text).split()
    if not words or limit <= 0:
        return []
    query = " ".join(words)
    scored: list[tuple[int, int, str, Node]] = []
    for n in nodes:
        name = n.name
        if not name:
            continue
        folded = normalise(name)
        if all(w in folded for w in words):
            rank = 0 if folded == query else 1 if folded.startswith(query) else 2
            scored.append((rank, len(folded), n.id, n))
    scored.sort(key=lambda t: t[:3])
    return [t[3] for t in scored[:limit]]


def lucene_query(text: str) -> str:
    """A Lucene query matching every word of ``text``, with special characters escaped,
    so user text is always searched for literally.

    >>> lucene_query('云北苑 a+b')
    '云北苑 AND a\\\\+b'
    """
    words = [_LUCENE_SPECIAL.sub(r"\\\1", w) for w in normalise(text).split()]
    return " AND ".join(words)
