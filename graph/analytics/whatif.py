"""What a draft write would change in the findings, without writing it.

The draft is applied to a new version of the projection the way the cache applies this
process's own writes (:func:`~.cache.carry_over`: copy on write, sharing everything unchanged
with the version it starts from), so the store, the cached version and everything built on it
stay as they were, and the cost is the draft's neighbourhood plus one run of the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from ..errors import Problem, ValidationError
from ..port import WriteBatch
from . import _heap
from ._patch import Changes
from .cache import carry_over
from .columns import Columns
from .columns_patch import patched
from .engine import Finding, RuleSettings
from .projection import day_views
from .rules import run_rules


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The findings a draft closes and opens, and how many there are before and after it."""

    closed: list[Finding]
    opened: list[Finding]
    before: int
    after: int


def what_if(
    history: nx.MultiDiGraph | Columns,
    batch: WriteBatch,
    settings: RuleSettings | None = None,
    *,
    as_of: dt.date,
    scope: str | None = None,
    before: Sequence[Finding] | None = None,
) -> WhatIf:
    """Run the rules on ``history`` with ``batch`` applied and compare with ``history``'s.

    Parameters
    ----------
    history
        The cache's index or a frozen projection; it is not changed.
    batch
        A write the store would accept (validated as the store validates it: see
        :func:`~govgraph.graph.model.validate_batch`).
    settings, as_of, scope
        As for :func:`~.rules.run_rules`.
    before
        The findings of ``history`` with the same settings, day and scope, when already known.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.model import link, node
    >>> g = nx.freeze(tiny_city())
    >>> draft = WriteBatch(
    ...     nodes=[node("PartyBranch", "pb9", name="示例乙小区党支部")],
    ...     links=[link("COVERS", "pb9", "c2")],
    ... )
    >>> w = what_if(g, draft, as_of=AS_OF)
    >>> [f.id for f in w.closed][:1], w.before - w.after == len(w.closed) - len(w.opened)
    (['P1:no_branch:c2'], True)
    """
    if before is None:
        before = run_rules(history, settings, as_of=as_of, scope=scope)
    if isinstance(history, Columns):
        index = patched(history, Changes.of(batch))
        if index is None:
            nodes = [n.id for n in batch.nodes]
            raise ValidationError(Problem("whatIf", "nodes", nodes, "nodes keeping their kind"))
        after = run_rules(index, settings, as_of=as_of, scope=scope)
    else:
        draft = carry_over(history, [Changes.of(batch)])
        try:
            after = run_rules(draft, settings, as_of=as_of, scope=scope)
        finally:
            _forget(draft)
    was = {f.id for f in before}
    now = {f.id for f in after}
    return WhatIf(
        closed=[f for f in before if f.id not in now],
        opened=[f for f in after if f.id not in was],
        before=len(before),
        after=len(after),
    )


def _forget(draft: nx.MultiDiGraph) -> None:
    """Let the draft version go with its last reference: drop the views NetworkX cached on it
    and on its day views (reference cycles; see :func:`~._heap.uncycle`), as the cache does for
    a version it drops."""
    for view in day_views(draft).values():
        _heap.uncycle(view)
    _heap.uncycle(draft)
