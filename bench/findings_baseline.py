"""Findings baseline: everything the analytics produce for the department, as canonical JSON.

Why. Issue 15 replaces the analytics' index (NetworkX dicts) by a columnar one and demands
every finding identical to today's on the demo and on the 300- and 3,000-compound sets. This
script writes what the current code answers, once, before the rewrite; the rewrite's answers
are then written the same way and compared, section by section.

What. For one data set (``demo``, or a synthetic size of :mod:`govgraph.loaders.synthetic`)
on the embedded store, on three days — the data's default day (its last recorded day,
:func:`~govgraph.graph.analytics.data_span`, as the CLI takes it), a year before, and the
middle of its history (the median ``since`` of its dated links) — as the department sees them
(named, nothing withheld):

* ``rules@DAY/RULE``: every rule's findings on the whole graph (``Finding.to_dict``, the
  explanations included), one section per rule id of the registry, keyed by finding id;
  ``rules@DAY/order``: the ids in the order :func:`run_rules` returns them;
  ``severity@DAY``: :func:`count_by_severity`;
* ``coverage@DAY`` (:func:`coverage_summary`, every level), ``uncovered@DAY``
  (:func:`uncovered_communities`), ``rectification@DAY`` (the 整改清单's rows,
  :func:`~govgraph.loaders.rectification.rectification_rows`), ``registration@DAY``
  (:func:`registration_by_employer`);
* ``cross@DAY``, ``holders@DAY``, ``conflicts@DAY``, ``interlocks@DAY``: the tie analyses on
  the day's view;
* on the default day only: ``rules-strict/RULE`` (every rule again with the lowered
  thresholds of :data:`STRICT`, so that rules the data rarely trips with the defaults find
  something too), ``brokers`` (betweenness sampled on ``--broker-k`` sources, seed 0, and
  Burt's constraint, floats rounded to 9 digits), ``tie-communities`` (Louvain, seed 0),
  ``ego`` and ``path`` (around the first compound), ``scoped/...`` (the rules scoped to the
  first township and the first compound), ``trend`` and ``trend-by-year``
  (:func:`coverage_trend`), ``span``, and ``registry`` (the rules and their checks).

Every section is a list of ``[key, value]`` pairs sorted by key; the file is gzip-compressed
JSON with sorted keys and no time stamp, so the same answers give the same bytes (whatever
``PYTHONHASHSEED``: the embedded store's kind index is a set, so the projection's node order
changes from one process to the next).

    .venv/bin/python bench/findings_baseline.py demo
    .venv/bin/python bench/findings_baseline.py 300            # ~/.cache/govgraph/findings/
    .venv/bin/python bench/findings_baseline.py 3000 --out /tmp/after.json.gz \
        --days-from ~/.cache/govgraph/findings/synthetic-c3000-s1-SHA.json.gz
    .venv/bin/python bench/findings_baseline.py --compare BEFORE.json.gz AFTER.json.gz

A synthetic set is generated once into ``--data-dir`` (as ``bench/analytics_bench.py`` does)
and its store kept there as an embedded-store snapshot (``findings-synthetic-cN-sS-V.jsonl``),
which later runs read instead of parsing the CSV files again. ``--compare A B`` prints the
sections that differ and their first differing items; the exit status is 1 if any differ.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import enum
import gzip
import hashlib
import io
import itertools
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from govgraph.graph.analytics import (
    RULES,
    Finding,
    RuleSettings,
    at,
    brokers,
    communities,
    conflicts_of_interest,
    count_by_severity,
    coverage_summary,
    coverage_trend,
    cross_appointments,
    data_span,
    ego_network,
    interlocks,
    multi_post_holders,
    project,
    registration_by_employer,
    run_rules,
    shortest_path,
    uncovered_communities,
)
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import Link, Node
from govgraph.graph.port import WriteBatch
from govgraph.loaders.rectification import rectification_rows
from govgraph.ops.neo4j_local import default_cache_dir

#: the file's layout; a new one is not comparable with an older one
FORMAT = 2
#: a section: [key, value] pairs (lists, as JSON reads them back), sorted by key
Section = list[list[Any]]


@dataclasses.dataclass(frozen=True)
class Params:
    """What the dump is made with, besides the data (written in the file's header)."""

    broker_k: int = 200
    broker_top: int = 100
    trend_months: int = 24
    float_digits: int = 9


#: the thresholds of the ``rules-strict/...`` sections (the other sections use the defaults)
STRICT: dict[str, Any] = {
    "p1_min_full_members": 1,
    "p2_max_joint_compounds": 1,
    "p3_max_branch_members": 20,
    "p4_committee_required_from": 3,
    "p4_committee_min": 5,
    "p5_term_years": 2,
    "p6_max_buildings_without_group": 0,
    "p9_community_station_counts": True,
    "o1_delivered_ratio": 0.2,
    "o2_min_members": 7,
    "o3_max_term_years": 3,
    "o3_warn_months": 24,
    "o6_min_party_share": 0.8,
    "o6_count_probationary": False,
    "o8_filing_days": 7,
    "m3_exit_years": 1,
    "g2_due_soon_days": 7,
    "g2_repeat_count": 2,
    "g2_repeat_days": 90,
    "cadence_grace_days": 45,
}


# --- canonical values -----------------------------------------------------------------------------
def canon(value: Any, digits: int = 9) -> Any:
    """``value`` as plain JSON data: findings by ``to_dict``, dataclasses as dicts, dates as ISO
    text, floats rounded to ``digits`` (NaN as None), tuples as lists, sets sorted.

    Examples
    --------
    >>> canon({"b": (1.23456789012, dt.date(2021, 5, 31)), "a": {3, 1}})
    {'b': [1.23456789, '2021-05-31'], 'a': [1, 3]}
    """
    if isinstance(value, Finding):
        return canon(value.to_dict(), digits)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canon(getattr(value, f.name), digits) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return canon(value.value, digits)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): canon(v, digits) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((canon(v, digits) for v in value), key=_text)
    if isinstance(value, list | tuple):
        return [canon(v, digits) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}: {value!r}")


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def keyed(items: Iterable[Any], key: Callable[[Any], str], digits: int = 9) -> Section:
    """``items`` as a section, each under ``key(item)``; a key found twice is an error (the
    comparison would pair the wrong items)."""
    out = [[key(x), canon(x, digits)] for x in items]
    out.sort(key=lambda kv: kv[0])
    for (a, _), (b, _) in itertools.pairwise(out):
        if a == b:
            raise ValueError(f"key {a!r} found twice")
    return out


def ranked(items: Iterable[Any], digits: int = 9) -> Section:
    """A ranking as a section: the position is the key (the order is the answer)."""
    return [[f"{i:06d}", canon(x, digits)] for i, x in enumerate(items)]


# --- the days -------------------------------------------------------------------------------------
def days_of(history: nx.MultiDiGraph) -> dict[str, dt.date]:
    """The three evaluation days: the data's last day, a year before, and the median ``since``
    of the dated links (half the dated links had begun by it)."""
    last = data_span(history).last
    if last is None:
        raise SystemExit("the data holds no day: no default evaluation day")
    since = sorted(
        d
        for _, _, d in history.edges(data="since")
        if isinstance(d, dt.date) and not isinstance(d, dt.datetime)
    )
    # a year before; 28 February for a 29th
    before = last.replace(
        year=last.year - 1, day=min(last.day, 28) if last.month == 2 else last.day
    )
    return {"default": last, "year_before": before, "mid": since[len(since) // 2]}


# --- the dump -------------------------------------------------------------------------------------
def _progress(text: str, start: float) -> None:
    print(f"  {time.perf_counter() - start:8.1f} s  {text}", file=sys.stderr, flush=True)


def _first(history: nx.MultiDiGraph, kind: str) -> str:
    return min(n for n, k in history.nodes(data="kind") if k == kind)


def day_sections(history: nx.MultiDiGraph, label: str, day: dt.date, p: Params) -> dict[str, Any]:
    """Every whole-graph analysis on one day."""
    d = p.float_digits
    out: dict[str, Any] = {}
    found = run_rules(history, as_of=day)
    for rid in RULES:  # every rule of the registry gets a section, empty or not
        out[f"rules@{label}/{rid}"] = keyed((f for f in found if f.rule == rid), _id, d)
    unknown = {f.rule for f in found} - set(RULES)
    if unknown:
        raise ValueError(f"findings of rules the registry lacks: {sorted(unknown)}")
    out[f"rules@{label}/order"] = [[f"{i:07d}", f.id] for i, f in enumerate(found)]
    out[f"severity@{label}"] = keyed(count_by_severity(found).items(), lambda kv: kv[0], d)
    out[f"coverage@{label}"] = keyed(
        coverage_summary(history, day, findings=found), lambda r: f"{r.level}:{r.place}", d
    )
    view = at(history, day)
    out[f"uncovered@{label}"] = keyed(uncovered_communities(view, found), lambda c: c.community, d)
    out[f"rectification@{label}"] = keyed(rectification_rows(found, day), lambda r: r[1], d)
    out[f"registration@{label}"] = keyed(
        registration_by_employer(history, day), lambda r: r.employer, d
    )
    out[f"cross@{label}"] = keyed(cross_appointments(view), lambda t: t.compound, d)
    out[f"holders@{label}"] = keyed(multi_post_holders(view), lambda h: h.person, d)
    out[f"conflicts@{label}"] = keyed(
        conflicts_of_interest(view), lambda c: f"{c.person}|{c.committee}|{c.company}", d
    )
    out[f"interlocks@{label}"] = keyed(interlocks(view), lambda i: f"{i.a}|{i.b}", d)
    return out


def _id(f: Finding) -> str:
    return f.id


def once_sections(history: nx.MultiDiGraph, day: dt.date, p: Params) -> dict[str, Any]:
    """The analyses made on the default day only (the network measures, scopes, the trend)."""
    d = p.float_digits
    out: dict[str, Any] = {}
    view = at(history, day)
    out["brokers"] = ranked(brokers(view, k=p.broker_k, top=p.broker_top), d)
    out["tie-communities"] = ranked(communities(view), d)
    compound, township = _first(history, "Compound"), _first(history, "Township")
    ego = ego_network(view, compound, depth=2)
    out["ego/nodes"] = ranked(ego.nodes, d)
    out["ego/links"] = keyed(ego.links, lambda lk: lk.id, d)
    # the top broker to the first compound, over every link kind
    path = shortest_path(view, out["brokers"][0][1]["node"], compound) if out["brokers"] else None
    out["path"] = [] if path is None else ranked([*path.nodes, *path.links], d)
    # thresholds lowered so that rules the data rarely trips find something too (on the demo
    # and the synthetic sets some find nothing with the defaults: P2 anywhere, O3 and O4 on
    # the synthetic sets)
    strict = run_rules(history, RuleSettings(**STRICT), as_of=day)
    for rid in RULES:
        out[f"rules-strict/{rid}"] = keyed((f for f in strict if f.rule == rid), _id, d)
    for place in (township, compound):
        out[f"scoped/{place}"] = keyed(run_rules(history, as_of=day, scope=place), _id, d)
    out["trend"] = keyed(
        coverage_trend(history, day, p.trend_months), lambda t: t.day.isoformat(), d
    )
    out["trend-by-year"] = keyed(
        coverage_trend(history, day, p.trend_months, by_year=True), lambda t: t.day.isoformat(), d
    )
    out["span"] = [["span", canon(data_span(history), d)]]
    out["registry"] = [
        [rid, {"checks": [[c.code, c.severity.value, c.evaluable] for c in r.checks]}]
        for rid, r in sorted(RULES.items())
    ]
    return out


def baseline(
    history: nx.MultiDiGraph,
    p: Params = Params(),
    *,
    days: Mapping[str, dt.date] | None = None,
    quiet: bool = True,
) -> dict[str, Any]:
    """The document: a header (the days, the parameters) and every section; on ``days`` when
    given (an earlier dump's), else on :func:`days_of` the data."""
    start = time.perf_counter()
    days = dict(days) if days is not None else days_of(history)
    sections: dict[str, Any] = {}
    for label, day in days.items():
        sections.update(day_sections(history, label, day, p))
        if not quiet:
            _progress(f"{label} ({day.isoformat()}) done", start)
    sections.update(once_sections(history, days["default"], p))
    if not quiet:
        _progress("network measures, scopes and trend done", start)
    return {
        "format": FORMAT,
        "days": {k: v.isoformat() for k, v in days.items()},
        "params": {**dataclasses.asdict(p), "strict": STRICT},
        "graph": {"nodes": history.number_of_nodes(), "links": history.number_of_edges()},
        "sections": dict(sorted(sections.items())),
    }


def encode(doc: Mapping[str, Any]) -> bytes:
    """The document as gzip-compressed canonical JSON (no time stamp, no file name in it)."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def digests(doc: Mapping[str, Any]) -> dict[str, tuple[int, str]]:
    """Section → (items, sha256 of its canonical JSON)."""
    return {
        name: (len(items), hashlib.sha256(_text(items).encode("utf-8")).hexdigest())
        for name, items in doc["sections"].items()
    }


def print_digests(doc: Mapping[str, Any]) -> None:
    print(f"days {doc['days']}; graph {doc['graph']}; params {doc['params']}")
    print("| section | items | sha256 (first 16) |")
    print("|---|---:|---|")
    for name, (count, sha) in digests(doc).items():
        print(f"| {name} | {count:,} | {sha[:16]} |")


# --- loading --------------------------------------------------------------------------------------
async def _demo_store() -> EmbeddedStore:
    from govgraph.loaders.demo import load_demo

    store = EmbeddedStore()
    await load_demo(store)
    return store


async def _synthetic_store(root: Path, compounds: int, seed: int) -> EmbeddedStore:
    """The generated set's store: read from its kept snapshot, or loaded from the generator's
    files (parsed into records, written as one batch) and its snapshot kept."""
    sys.path.insert(0, str(Path(__file__).parent))
    from import_bench import dataset, ordered

    data = dataset(root, compounds, seed)
    snapshot = root / f"findings-{data.out_dir.name}.jsonl"
    if snapshot.exists():
        print(f"reading the store kept in {snapshot}", file=sys.stderr, flush=True)
        return EmbeddedStore(snapshot)
    from govgraph.loaders.readers import read_tables
    from govgraph.loaders.rows import parse_table

    nodes: list[Node] = []
    links: list[Link] = []
    for f in ordered(data.files):
        for table in read_tables(f):
            for row in parse_table(table):
                if row.errors or row.record is None:
                    raise SystemExit(f"{f}: row {row.row}: {row.errors}")
                (nodes if isinstance(row.record, Node) else links).append(row.record)
    store = EmbeddedStore()
    await store.apply(WriteBatch(nodes, links, [], []))
    del nodes, links
    tmp = snapshot.with_name(snapshot.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(store.snapshot_lines())
    os.replace(tmp, snapshot)
    print(f"kept the store in {snapshot}", file=sys.stderr, flush=True)
    return store


async def history_of(name: str, root: Path, seed: int) -> nx.MultiDiGraph:
    """The frozen whole-history projection of the data set (every analysis indexes it)."""
    store = await _demo_store() if name == "demo" else await _synthetic_store(root, int(name), seed)
    history: nx.MultiDiGraph = await project(store)
    return nx.freeze(history)


def set_name(name: str, seed: int) -> str:
    return "demo" if name == "demo" else f"synthetic-c{int(name)}-s{seed}"


def _git_sha() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "nogit"


# --- comparing ------------------------------------------------------------------------------------
def read(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def compare(a: Mapping[str, Any], b: Mapping[str, Any], *, show: int = 3) -> list[str]:
    """The sections of ``a`` and ``b`` that differ, with a few of their differing items
    printed; empty when every section is the same."""
    for field in ("format", "days", "params", "graph"):
        if a.get(field) != b.get(field):
            print(f"header {field}: {a.get(field)} != {b.get(field)}")
    differ: list[str] = []
    sa, sb = a["sections"], b["sections"]
    for name in sorted(set(sa) | set(sb)):
        if name not in sb or name not in sa:
            print(f"section {name}: only in {'A' if name in sa else 'B'}")
            differ.append(name)
            continue
        if sa[name] == sb[name]:
            continue
        differ.append(name)
        ia, ib = dict(map(tuple, sa[name])), dict(map(tuple, sb[name]))
        only_a = [k for k in ia if k not in ib]
        only_b = [k for k in ib if k not in ia]
        changed = [k for k in ia if k in ib and ia[k] != ib[k]]
        print(
            f"section {name}: {len(ia)} vs {len(ib)} items; {len(only_a)} only in A, "
            f"{len(only_b)} only in B, {len(changed)} changed"
        )
        for k in only_a[:show]:
            print(f"  only in A: {k}: {_text(ia[k])[:300]}")
        for k in only_b[:show]:
            print(f"  only in B: {k}: {_text(ib[k])[:300]}")
        for k in changed[:show]:
            a_, b_ = ia[k], ib[k]
            if isinstance(a_, dict) and isinstance(b_, dict):  # only the fields that differ
                fields = sorted(f for f in set(a_) | set(b_) if a_.get(f) != b_.get(f))
                a_, b_ = ({f: v.get(f) for f in fields} for v in (a_, b_))
            print(f"  changed {k}:\n    A {_text(a_)[:300]}\n    B {_text(b_)[:300]}")
    print(f"{len(differ)} of {len(set(sa) | set(sb))} sections differ")
    return differ


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("set", nargs="?", help="demo, or a number of compounds (synthetic)")
    p.add_argument("--seed", type=int, default=1, help="the synthetic generator's seed")
    p.add_argument("--out", default=None, help="default: ~/.cache/govgraph/findings/SET-SHA")
    p.add_argument("--data-dir", default=str(default_cache_dir() / "bench"))
    p.add_argument("--broker-k", type=int, default=Params.broker_k)
    p.add_argument("--trend-months", type=int, default=Params.trend_months)
    p.add_argument(
        "--days-from",
        default=None,
        help="an earlier dump whose three days to use (instead of reading them from the data)",
    )
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two dumps")
    args = p.parse_args()
    if args.compare:
        differ = compare(read(Path(args.compare[0])), read(Path(args.compare[1])))
        raise SystemExit(1 if differ else 0)
    if not args.set or (args.set != "demo" and not args.set.isdigit()):
        p.error("name a set: demo, or a number of compounds")
    start = time.perf_counter()
    history = asyncio.run(history_of(args.set, Path(args.data_dir).expanduser(), args.seed))
    _progress(
        f"projection: {history.number_of_nodes():,} nodes, {history.number_of_edges():,} links",
        start,
    )
    params = Params(broker_k=args.broker_k, trend_months=args.trend_months)
    days = None
    if args.days_from:
        days = {k: dt.date.fromisoformat(v) for k, v in read(Path(args.days_from))["days"].items()}
    doc = baseline(history, params, days=days, quiet=False)
    name = set_name(args.set, args.seed)
    out = (
        Path(args.out).expanduser()
        if args.out
        else (default_cache_dir() / "findings" / f"{name}-{_git_sha()}.json.gz")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    data = encode(doc)
    out.write_bytes(data)
    print_digests(doc)
    print(
        f"{name}: wrote {out} ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}) "
        f"in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
