"""Network-measures benchmark: betweenness, Burt's constraint and Louvain on the tie graph, with
NetworkX, igraph and rustworkx side by side.

Why. Issue 15 keeps NetworkX for the network measures unless it is the bottleneck at the
province, and asks to measure before choosing. :func:`~govgraph.graph.analytics.brokers` spent
most of its time in ``nx.betweenness_centrality`` (``k`` sampled sources), so this script times
each library on the same tie graph, in one process, with the history projection held in memory
as the service holds it (a large heap changes what NetworkX's per-source allocations cost).

What. One data set (``demo``, or a synthetic size, loaded as ``bench/findings_baseline.py``
loads it: from its kept store snapshot when there is one), its default day (the last recorded
day), the whole graph. Each step prints wall and CPU seconds and the peak RSS above the step's
start (sampled every 50 ms), then how far the answers agree:

* the tie graph as arrays (what ``brokers`` builds), in NetworkX (what ``communities``
  builds), and as igraph and rustworkx graphs;
* betweenness: NetworkX sampled (``--k`` sources, seed 0, what ``brokers`` gets from the API's
  ``sample``, the CLI and the findings baseline), NetworkX exact (only up to ``--nx-exact-max``
  nodes: it allocates per source a dict over every node), igraph exact, igraph on NetworkX's
  own sample (``sources=``: the same estimate), rustworkx exact (it has no sampling);
* Burt's constraint, weighted: NetworkX on the ``--top`` ranked people, igraph on them and on
  every node;
* Louvain: NetworkX ``louvain_communities`` (seed 0) and igraph ``community_multilevel``
  (its own random order: another partition, compared by modularity);
* ``brokers(k, top)`` and ``brokers(top=top)`` (exact) end to end, as the code stands (the
  exact one only up to ``--nx-exact-max`` nodes unless ``--brokers-exact``: before igraph it
  was NetworkX's exact betweenness, whose cost grows with the square of the nodes: 5 s of CPU
  at 300 compounds, some 9 minutes at 3,000 and hours at the province by extrapolation).

By default the heap is frozen after the load (``gc.collect(); gc.freeze()``), as the service's
GC policy does (``api/gc_policy.py``); ``--no-freeze`` leaves the collector as Python has it.
rustworkx is no dependency of the project (``pip install rustworkx`` to compare it; skipped
otherwise); it runs on ``RAYON_NUM_THREADS`` threads (set here to 1 unless given: the machine
is shared; its CPU seconds are the figure to compare).

    .venv/bin/python bench/measures_bench.py 300
    .venv/bin/python bench/measures_bench.py 3000 --brokers-exact
"""

from __future__ import annotations

import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # read when rustworkx starts its pool

import argparse
import asyncio
import gc
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import igraph as ig
import networkx as nx
from findings_baseline import history_of  # bench/ is the script's folder
from import_bench import MemorySampler, _rss_kib

from govgraph.graph.analytics import at, brokers, data_span
from govgraph.graph.analytics.projection import indexed_day
from govgraph.graph.analytics.ties import TIE_LINKS, _nx_graph, _tie_graph
from govgraph.ops.neo4j_local import default_cache_dir

T = TypeVar("T")
ROWS: list[tuple[str, float, float, float, str]] = []
#: how far the libraries' answers agree, printed at the end
AGREEMENT: list[str] = []


def step(name: str, fn: Callable[[], T], detail: Callable[[T], str] = lambda _: "") -> T:
    """Run ``fn`` once; keep and print its wall and CPU seconds and peak RSS above its start."""
    base = _rss_kib("self")
    with MemorySampler(None) as mem:
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    extra = max(0, mem.peak_self - base) / 1024
    text = detail(out)
    ROWS.append((name, wall, cpu, extra, text))
    print(
        f"  {name:<44} {wall:>9.3f} s  cpu {cpu:>9.3f} s  +{extra:>7.1f} MiB  "
        f"load {os.getloadavg()[0]:.1f}  {text}",
        flush=True,
    )
    return out


def nx_sample(g: nx.Graph, k: int, seed: int) -> list[Any]:
    """The sources ``nx.betweenness_centrality(g, k=k, seed=seed)`` draws (an int seed is a
    ``random.Random``, sampling the node list)."""
    return random.Random(seed).sample(list(g), k)


def ig_sampled(h: ig.Graph, order: Sequence[Any], sources: Sequence[Any]) -> dict[Any, float]:
    """NetworkX's sampled, normalized estimate from igraph's subset betweenness: igraph counts
    each unordered pair once (hence 2x), NetworkX scales sampled sources by k-1 and the others
    by k (networkx 3.5+), both over (n-1)(n-2) ordered pairs."""
    at = {n: i for i, n in enumerate(order)}
    raw = h.betweenness(directed=False, sources=[at[s] for s in sources])
    n, k = len(order), len(sources)
    picked = set(sources)
    return {v: 2 * raw[i] / ((k - 1 if v in picked else k) * (n - 2)) for i, v in enumerate(order)}


def exact_normalized(raw: Sequence[float], order: Sequence[Any]) -> dict[Any, float]:
    """igraph's exact betweenness (unordered pairs) normalized as NetworkX's."""
    n = len(order)
    return {v: 2 * b / ((n - 1) * (n - 2)) for v, b in zip(order, raw, strict=True)}


def max_diff(a: dict[Any, float], b: dict[Any, float]) -> float:
    return max((abs(a[v] - b[v]) for v in a), default=0.0)


def top_people(between: dict[Any, float], people: set[Any], top: int) -> list[Any]:
    """The ranking of ``brokers``: highest first, then by id."""
    return sorted(people, key=lambda n: (-between[n], n))[:top]


@dataclass
class Ties:
    """The tie graph as ``brokers`` builds it, and as numbered edges for the other libraries."""

    g: nx.Graph
    #: the nodes in the graph's order: igraph's and rustworkx's node i is order[i]
    order: list[Any]
    at: dict[Any, int]
    edges: list[tuple[int, int]]
    weights: list[int]
    people: set[Any]


def tie_graph(view: Any) -> Ties:
    day = indexed_day(view)
    arrays = step("tie graph (arrays)", lambda: _tie_graph(day, None, TIE_LINKS))
    g = step(
        "tie graph in networkx (as communities builds it)",
        lambda: _nx_graph(arrays),
        lambda g: (
            f"{g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges, "
            f"{nx.number_connected_components(g):,} components, largest "
            f"{max((len(c) for c in nx.connected_components(g)), default=0):,}"
        ),
    )
    order = list(g)
    at_ = {n: i for i, n in enumerate(order)}
    number = dict(zip(arrays.ids, arrays.nodes.tolist(), strict=True))
    people = {n for n in order if day.columns.kind_of(number[n]) == "Person"}
    return Ties(
        g,
        order,
        at_,
        [(at_[a], at_[b]) for a, b in g.edges()],
        [w for _, _, w in g.edges(data="weight")],
        people,
    )


def betweenness(t: Ties, k: int, nx_exact_max: int) -> dict[str, dict[Any, float]]:
    """Every library's betweenness, normalized as NetworkX's, by contender."""
    out = {"networkx k": step(f"betweenness networkx k={k}", lambda: nx_between(t.g, k))}
    if len(t.order) <= nx_exact_max:
        out["networkx exact"] = step("betweenness networkx exact", lambda: nx_between(t.g, None))
    h = step(
        "igraph graph from the tie graph",
        lambda: ig.Graph(n=len(t.order), edges=t.edges, edge_attrs={"weight": t.weights}),
    )
    out["igraph exact"] = step(
        "betweenness igraph exact",
        lambda: exact_normalized(h.betweenness(directed=False), t.order),
    )
    sources = nx_sample(t.g, k, 0)
    out["igraph k"] = step(
        f"betweenness igraph on networkx's sample (k={k})",
        lambda: ig_sampled(h, t.order, sources),
    )
    try:  # not a dependency of the project: pip install rustworkx to compare it too
        import rustworkx as rx
    except ImportError:
        print("  rustworkx is not installed: skipped", flush=True)
        return out
    r = step("rustworkx graph from the tie graph", lambda: _rx_graph(rx, len(t.order), t.edges))
    out["rustworkx exact"] = step(
        "betweenness rustworkx exact",
        lambda: dict(zip(t.order, _rx_values(rx.graph_betweenness_centrality(r)), strict=True)),
    )
    return out


def nx_between(g: nx.Graph, k: int | None) -> dict[Any, float]:
    found: dict[Any, float] = nx.betweenness_centrality(g, k=k, seed=0)
    return found


def constraint_and_louvain(t: Ties, ranked: list[Any]) -> None:
    """Burt's constraint on the ranked people (and igraph's on every node), then Louvain;
    prints how far the libraries agree."""
    h = ig.Graph(n=len(t.order), edges=t.edges, edge_attrs={"weight": t.weights})
    nx_c = step(
        f"constraint networkx, top {len(ranked)}",
        lambda: nx.constraint(t.g, nodes=ranked, weight="weight"),
    )
    ig_c = step(
        f"constraint igraph, top {len(ranked)}",
        lambda: h.constraint([t.at[n] for n in ranked], weights="weight"),
    )
    step(
        "constraint igraph, every node",
        lambda: h.constraint(weights="weight"),
        lambda c: f"{len(c):,} nodes",
    )
    nx_l = step(
        "louvain networkx (seed 0)",
        lambda: nx.community.louvain_communities(t.g, weight="weight", seed=0),
        lambda c: f"{len(c):,} communities",
    )
    ig_l = step(
        "louvain igraph community_multilevel",
        lambda: h.community_multilevel(weights="weight"),
        lambda c: f"{len(c):,} communities",
    )
    diff = max((abs(a - nx_c[n]) for n, a in zip(ranked, ig_c, strict=True)), default=0.0)
    same = {frozenset(c) for c in nx_l} == {frozenset(t.order[i] for i in c) for c in ig_l}
    AGREEMENT.extend(
        [
            f"constraint igraph vs networkx (top {len(ranked)}): max |diff| {diff:.3g}",
            f"louvain modularity: networkx "
            f"{nx.community.modularity(t.g, nx_l, weight='weight'):.6f} ({len(nx_l):,}), "
            f"igraph {ig_l.modularity:.6f} ({len(ig_l):,}); the same partition {same}",
        ]
    )


def agree(found: dict[str, dict[Any, float]], t: Ties, k: int, top: int) -> list[Any]:
    """How far the betweenness answers agree; the top people by the sampled estimate."""
    ranked = top_people(found["networkx k"], t.people, top)
    exact = top_people(found["igraph exact"], t.people, top)
    same = top_people(found["igraph k"], t.people, top) == ranked
    AGREEMENT.extend(
        [
            f"igraph on networkx's sample vs networkx k={k}: max |diff| "
            f"{max_diff(found['igraph k'], found['networkx k']):.3g}; "
            f"top {top} people in the same order {same}",
            f"top {top} people by the k={k} estimate vs by exact betweenness: "
            f"{len(set(ranked) & set(exact))} in both; the same first 10 "
            f"{ranked[:10] == exact[:10]}",
        ]
    )
    if "rustworkx exact" in found:
        AGREEMENT.append(
            f"rustworkx exact vs igraph exact: max |diff| "
            f"{max_diff(found['rustworkx exact'], found['igraph exact']):.3g}"
        )
    if "networkx exact" in found:
        AGREEMENT.append(
            f"igraph exact vs networkx exact: max |diff| "
            f"{max_diff(found['igraph exact'], found['networkx exact']):.3g}"
        )
    return ranked


def load(args: argparse.Namespace) -> Any:
    """The default day's view of the set, its index built (no step below pays for it)."""
    history = asyncio.run(history_of(args.set, Path(args.data_dir).expanduser(), args.seed))
    day = data_span(history).last
    if day is None:
        raise SystemExit("the data holds no day")
    view = at(history, day)
    print(
        f"{args.set}: history {history.number_of_nodes():,} nodes, "
        f"{history.number_of_edges():,} links; day {day}; freeze {not args.no_freeze}; "
        f"rayon threads {os.environ['RAYON_NUM_THREADS']}; igraph {ig.__version__}, "
        f"networkx {nx.__version__}",
        flush=True,
    )
    _ = indexed_day(view).columns
    return view


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("set", help="demo, or a number of compounds (synthetic)")
    p.add_argument("--seed", type=int, default=1, help="the synthetic generator's seed")
    p.add_argument("--data-dir", default=str(default_cache_dir() / "bench"))
    p.add_argument("--k", type=int, default=200, help="sampled sources (brokers' k)")
    p.add_argument("--top", type=int, default=100, help="ranked people given a constraint")
    p.add_argument("--nx-exact-max", type=int, default=10_000)
    p.add_argument(
        "--brokers-exact",
        action="store_true",
        help="time brokers(top=...) exact above --nx-exact-max nodes too",
    )
    p.add_argument("--no-freeze", action="store_true", help="leave the collector as it is")
    args = p.parse_args()

    view = load(args)
    if not args.no_freeze:  # as the service's GC policy does once it is up
        gc.collect()
        gc.freeze()
    t = tie_graph(view)
    k = min(args.k, len(t.order))
    ranked = agree(betweenness(t, k, args.nx_exact_max), t, k, args.top)
    constraint_and_louvain(t, ranked)
    step(
        f"brokers(k={args.k}, top={args.top})",
        lambda: brokers(view, k=args.k, top=args.top),
        lambda b: f"top {len(b)}",
    )
    if len(t.order) <= args.nx_exact_max or args.brokers_exact:
        step(
            f"brokers(top={args.top}) exact",
            lambda: brokers(view, top=args.top),
            lambda b: f"top {len(b)}",
        )

    print("\nagreement")
    for line in AGREEMENT:
        print(f"  {line}")
    print(f"\n| step ({args.set}, freeze {not args.no_freeze}) | wall s | CPU s | RSS +MiB | |")
    print("|---|---:|---:|---:|---|")
    for name, wall, cpu, extra, text in ROWS:
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {extra:.1f} | {text} |")


def _rx_graph(rx: Any, n: int, edges: list[tuple[int, int]]) -> Any:
    r = rx.PyGraph(multigraph=False)
    r.add_nodes_from(range(n))
    r.add_edges_from_no_data(edges)
    return r


def _rx_values(found: Any) -> list[float]:
    return [found[i] for i in range(len(found))]


if __name__ == "__main__":
    main()
