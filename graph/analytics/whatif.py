"""What a draft write would change in the findings, without writing it: the draft patches the
index as the cache's own writes do (:func:`~.columns_patch.patched`), into a new index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from ..errors import Problem, ValidationError
from ..port import WriteBatch
from .columns import Columns, columns_for
from .columns_patch import Changes, patched
from .engine import Finding, RuleSettings
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

    ``batch`` is a write the store would accept (:func:`~govgraph.graph.model.validate_batch`);
    ``before``, the findings of ``history`` with the same arguments when already known.

    Examples
    --------
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
    cols = columns_for(history)
    if before is None:
        before = run_rules(cols, settings, as_of=as_of, scope=scope)
    index = patched(cols, Changes.of(batch))
    if index is None:  # the index leaves a change of kind to a rebuild: a draft may not make one
        nodes = [n.id for n in batch.nodes]
        raise ValidationError(Problem("whatIf", "nodes", nodes, "nodes keeping their kind"))
    after = run_rules(index, settings, as_of=as_of, scope=scope)
    was = {f.id for f in before}
    now = {f.id for f in after}
    return WhatIf(
        closed=[f for f in before if f.id not in now],
        opened=[f for f in after if f.id not in was],
        before=len(before),
        after=len(after),
    )
