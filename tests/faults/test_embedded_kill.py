"""The API on the embedded store, killed with SIGKILL while clients write through it.

``govgraph serve`` runs as its own process on a data file in a temporary folder; writers send
mutations with new ids and note every acknowledged one. The server is killed with writes in
flight, started again on the same file, and must hold every acknowledged write, each once; the
writes the kill cut off (applied or not) are sent again, as a client would, and are acknowledged;
after a clean stop the file opens again (snapshot and journal intact).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import httpx
from harness import DEPARTMENT_KEY, ApiProcess, Outcome, Tally, graphql, send_write, wait_ready

from govgraph.graph.embedded import EmbeddedStore

WRITERS = 4
PARENT = "cmp-kill"
ACKNOWLEDGED_BEFORE_KILL = 80
CREATE_COMPOUND = """mutation($id: String!) {
  createNode(input: {kind: Compound, id: $id, props: {name: "测试小区"}}) { __typename }
}"""


async def _write_until_killed(api: ApiProcess) -> tuple[Tally, int]:
    """Writers run until ``ACKNOWLEDGED_BEFORE_KILL`` writes are acknowledged, then the server is
    killed while requests are in flight. Returns the tally and how many were in flight."""
    tally = Tally()
    ids = itertools.count()
    in_flight = 0
    killed = asyncio.Event()
    async with httpx.AsyncClient(
        base_url=api.url, headers={"X-API-Key": DEPARTMENT_KEY}, timeout=30
    ) as http:
        await wait_ready(http, 30)
        parent = await graphql(http, "createNode", CREATE_COMPOUND, {"id": PARENT}, PARENT)
        assert parent.kind == "ok", parent.detail

        async def writer(n: int) -> None:
            nonlocal in_flight
            while not killed.is_set():
                wid = f"kill-{n}-{next(ids)}"
                in_flight += 1
                o = await send_write(http, "createNode" if n % 2 else "applyBatch", wid, PARENT)
                in_flight -= 1
                tally.outcomes.append(o)

        async def killer() -> int:
            while len(tally.acknowledged) < ACKNOWLEDGED_BEFORE_KILL or in_flight < 2:
                await asyncio.sleep(0.005)
            flying = in_flight
            api.kill()
            killed.set()
            return flying

        *_, flying = await asyncio.gather(*(writer(n) for n in range(WRITERS)), killer())
    return tally, flying


async def _retry_then_find(
    api: ApiProcess, cut: list[Outcome], ids: list[str]
) -> tuple[list[Outcome], dict[str, int]]:
    """The writes the kill cut off, sent again through the restarted API, and how many times
    each of ``ids`` (with theirs) is found there then."""
    found: dict[str, int] = {}
    async with httpx.AsyncClient(
        base_url=api.url, headers={"X-API-Key": DEPARTMENT_KEY}, timeout=30
    ) as http:
        await wait_ready(http, 30)
        retried = [await send_write(http, o.op, str(o.sent_id), PARENT) for o in cut]
        ids = ids + [o.written_id for o in retried if o.written_id]
        for i in range(0, len(ids), 100):
            chunk = [f"Building:{x}" for x in ids[i : i + 100]]
            r = await http.post(
                "/graphql",
                json={
                    "query": "query($ids: [ID!]!) { nodes(ids: $ids) { entityId } }",
                    "variables": {"ids": chunk},
                },
            )
            body = r.json()
            assert "errors" not in body, body
            for n in body["data"]["nodes"]:
                if n is not None:
                    found[n["entityId"]] = found.get(n["entityId"], 0) + 1
    return retried, found


def test_sigkill_through_the_api_loses_no_acknowledged_write(tmp_path: Path) -> None:
    data = tmp_path / "graph.jsonl"
    env = {"GOVGRAPH_STORE": "embedded", "GOVGRAPH_DATA_PATH": str(data)}
    first = ApiProcess(env, tmp_path / "api-1.log")
    first.start()
    try:
        tally, flying = asyncio.run(_write_until_killed(first))
    finally:
        first.kill()
    assert flying >= 2, "no write was in flight when the server was killed"
    acknowledged = tally.acknowledged
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL
    # only the requests cut by the kill fail, as dropped connections, never as wrong answers
    failed = [o for o in tally.outcomes if o.kind != "ok"]
    assert len(failed) <= WRITERS
    assert all("Error" in o.detail for o in failed), [o.detail for o in failed]

    second = ApiProcess(env, tmp_path / "api-2.log")
    second.start()
    try:
        retried, found = asyncio.run(_retry_then_find(second, failed, acknowledged))
    finally:
        second.stop()  # a clean stop folds the journal into the snapshot
    # a write cut off by the kill may have been applied: sent again, it is acknowledged anyway
    assert all(o.kind == "ok" for o in retried), [o.detail for o in retried]
    missing = set(acknowledged) - set(found)
    assert not missing, f"{len(missing)} acknowledged writes lost: {sorted(missing)[:10]}"
    assert all(n == 1 for n in found.values())
    written = acknowledged + [str(o.written_id) for o in retried]

    # the file opens on its own, every acknowledged write once, each applyBatch with its link
    async def check() -> None:
        store = EmbeddedStore(data)
        try:
            # every write was acknowledged in the end, once or sent again: nothing else is there
            assert await store.count_nodes("Building") == len(written)
            got = await store.get_nodes(written)
            assert set(got) == set(written)
            links = {lk.source for lk in await store.list_links(kind="PART_OF")}
            batch_acks = {o.written_id for o in tally.outcomes + retried if o.op == "applyBatch"}
            assert {i for i in batch_acks if i} <= links
        finally:
            await store.close()

    asyncio.run(check())
    header = json.loads(data.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "govgraph-snapshot"
