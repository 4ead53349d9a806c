"""The Huairen demo data set: a synthetic city that reproduces the article's published figures.

Why it exists. The organization department, the researchers and the frontends all need a graph
that looks like the real thing before any real ledger is loaded: one that reproduces every figure
the article publishes (46 compound Party organizations, 241 Party groups, 889 appeals of which 765
were replied, ...; see ``shared/domain/DOMAIN.md``) *and* holds the gaps the coverage rules in
``shared/domain/RULES.md`` look for (compounds no branch covers, committees of the wrong size,
conflicts of interest, branches that skipped a monthly joint meeting, ...). A data set where every
rule finds nothing would prove nothing.

What is real and what is not. Only the places the article names are real: 怀仁市, 气象街社区 and
云北苑小区 (with its 1.85 million yuan investment and its community property management
committee). Every other place name carries the prefix 示例 ("example"); every person is
``示例居民NNNN`` (a resident) or ``示例工作人员NNNN`` (staff or an official) with a phone number
``000-0000-NNNN``, so no synthetic relationship is ever attached to a real person.

Determinism. :func:`build_demo` draws every random choice from one ``random.Random(seed)`` and
only ever iterates lists and insertion-ordered dicts (never sets), so the same seed gives the same
nodes and links in the same order, byte for byte once serialized. The published figures do not
depend on the seed: they are fixed by construction, the seed only moves people, dates and sizes.

The snapshot date is the end of May 2021 (the article's "截至5月底"): no date in the data set is
later, so every figure reads the same with ``as_of=2021-05-31`` as without it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..graph.model import Link, Node
from ..graph.port import GraphStore, WriteBatch
from .demo_builder import DemoBuilder
from .demo_events import add_appeals, add_disputes, add_meetings
from .demo_figures import PERIOD_START, PUBLISHED, SNAPSHOT, SOURCE, PublishedFigures
from .demo_owners import add_owners_committees
from .demo_party import (
    add_branches,
    add_groups_and_posts,
    add_membership,
    add_party_committees,
    add_registration,
)
from .demo_places import add_places, add_residents
from .demo_property import add_companies, add_management_links, add_management_plan, add_staff
from .demo_services import add_governance, add_stations, add_volunteers

__all__ = [
    "DEFAULT_SEED",
    "PERIOD_START",
    "PUBLISHED",
    "SNAPSHOT",
    "SOURCE",
    "PublishedFigures",
    "build_demo",
    "load_demo",
]

DEFAULT_SEED = 2021

#: the parts of the city in the order they are added: each reads what the earlier ones made
#: (the owners' committees, say, seat the branch secretaries), and the order fixes every draw
_STEPS: tuple[Callable[[DemoBuilder], None], ...] = (
    add_places,
    add_residents,
    add_branches,
    add_party_committees,
    add_membership,
    add_groups_and_posts,
    add_registration,
    add_companies,
    add_management_plan,
    add_owners_committees,
    add_management_links,
    add_staff,
    add_stations,
    add_governance,
    add_volunteers,
    add_meetings,
    add_appeals,
    add_disputes,
)


def build_demo(seed: int = DEFAULT_SEED) -> tuple[list[Node], list[Link]]:
    """Generate the Huairen demo data set: the same seed gives the same records in the same
    order. Every figure in :data:`PUBLISHED` holds whatever the seed."""
    demo = DemoBuilder(seed)
    for step in _STEPS:
        step(demo)
    return demo.result()


async def load_demo(
    store: GraphStore,
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    seed: int = DEFAULT_SEED,
) -> tuple[int, int]:
    """Write the demo data set into ``store``; return (nodes, links) written.

    Every node is written before any link, so each link batch finds its endpoints stored; each
    batch is one :meth:`GraphStore.apply` call, so it is written completely or not at all (a
    failure part way leaves the earlier batches, and loading again completes the set: upserts
    replace). ``progress`` is called after each batch with the records written so far.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    nodes, links = build_demo(seed)
    written_nodes = written_links = 0
    for start in range(0, len(nodes), batch_size):
        result = await store.apply(WriteBatch(nodes=nodes[start : start + batch_size]))
        written_nodes += result.nodes_written
        if progress is not None:
            progress(written_nodes)
    for start in range(0, len(links), batch_size):
        result = await store.apply(WriteBatch(links=links[start : start + batch_size]))
        written_links += result.links_written
        if progress is not None:
            progress(written_nodes + written_links)
    return written_nodes, written_links
