"""The console's network drawing (api/static/console/js/netgraph.js) in a real Chromium.

A test page on the app's own origin (served by a Playwright route, so nothing is written into
api/static) imports the module from ``/static/console/js/netgraph.js`` under a strict
Content-Security-Policy (no inline styles, images from this origin and data: only): a module
that set a ``style`` attribute or reached for another origin would log a CSP error and fail the
test through the ``page`` fixture. Console warnings fail it too (``no_warnings``).
"""

from __future__ import annotations

import json
import math
import re
import struct
import xml.etree.ElementTree as ET
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PAGE_PATH = "/__test__/netgraph.html"
NONCE = "netgraph-test"
CSP = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' 'nonce-{NONCE}'",
        "style-src 'self'",  # no 'unsafe-inline': the module must style through CSSOM only
        "img-src 'self' data:",
        "connect-src 'self'",
    ]
)

KIND_LABELS = {
    "Compound": "小区",
    "PartyBranch": "党支部",
    "PartyGroup": "党小组",
    "OwnersCommittee": "业委会",
    "PropertyCompany": "物业公司",
    "ServiceStation": "服务站",
    "Person": "人员",
    "Building": "楼栋",
}
LINK_LABELS = {
    "COVERS": "覆盖",
    "HOLDS_POST": "任职",
    "MEMBER_OF": "成员",
    "MANAGES": "管理",
    "SERVES": "服务",
    "PART_OF": "隶属",
    "PARTY_ORG_OF": "党组织",
}

HTML = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>netgraph test</title>
<link rel="icon" href="data:,"></head>
<body><div id="box"></div>
<script type="module" nonce="{NONCE}">
import {{ NetworkView }} from "/static/console/js/netgraph.js";
const KINDS = {json.dumps(KIND_LABELS, ensure_ascii=False)};
const LINKS = {json.dumps(LINK_LABELS, ensure_ascii=False)};
const box = document.getElementById("box");
box.style.width = "960px";
box.style.height = "640px";
window.events = {{ select: [], expand: [] }};
window.options = {{
  label: (k) => KINDS[k] ?? k,
  linkLabel: (k) => LINKS[k] ?? k,
  title: "阳光花园小区治理网络",
  onSelect: (id) => window.events.select.push(id),
  onExpand: (id) => window.events.expand.push(id),
}};
window.NetworkView = NetworkView;
window.view = new NetworkView(box, window.options);
window.ready = true;
</script></body></html>"""


def node(id: str, kind: str, name: str | None, distance: int = 1) -> dict[str, Any]:
    return {"id": id, "kind": kind, "name": name, "distance": distance}


def link(
    id: str,
    kind: str,
    source: str,
    target: str,
    role: str | None = None,
    *,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "kind": kind,
        "source": source,
        "target": target,
        "role": role,
        "since": since,
        "until": until,
    }


PEOPLE = [
    ("p1", "王建国", "pb", "书记"),
    ("p2", "李秀英", "pb", "组织委员"),
    ("p3", "张伟", "pg1", "组长"),
    ("p4", "刘洋", "pg2", "组长"),
    ("p5", "陈静", "oc", "主任"),
    ("p6", None, "oc", "委员"),  # pseudonymous: drawn by id
    ("p7", "赵磊", "pc", "项目经理"),
    ("p8", "孙丽", "ss", "站长"),
]
NETWORK = {
    "center": "c1",
    "nodes": [
        node("c1", "Compound", "阳光花园", 0),
        node("pb", "PartyBranch", "阳光花园党支部"),
        node("pg1", "PartyGroup", "第一党小组", 2),
        node("pg2", "PartyGroup", "第二党小组", 2),
        node("oc", "OwnersCommittee", "阳光花园业委会"),
        node("pc", "PropertyCompany", "安居物业"),
        node("ss", "ServiceStation", "红色物业服务站"),
        *[node(pid, "Person", name, 2) for pid, name, _, _ in PEOPLE],
    ],
    "links": [
        link("l-cov", "COVERS", "pb", "c1", since="2019-05-01"),
        link("l-g1", "PART_OF", "pg1", "pb"),
        link("l-g2", "PART_OF", "pg2", "pb"),
        link("l-oc", "PART_OF", "oc", "c1", since="2020-01-01"),
        link("l-pc", "MANAGES", "pc", "c1", since="2018-07-01"),
        link("l-ss", "SERVES", "ss", "c1"),
        link("l-pb-oc", "PARTY_ORG_OF", "pb", "oc"),
        *[
            link(
                f"h-{pid}",
                "HOLDS_POST",
                pid,
                org,
                role,
                since="2021-03-01",
                until="2023-12-31" if pid == "p7" else None,
            )
            for pid, _, org, role in PEOPLE
        ],
        link("m-p5", "MEMBER_OF", "p5", "pb"),  # 交叉任职: a second link p5 ↔ pb
        link("m-p1", "MEMBER_OF", "p1", "pb"),  # and a second link p1 ↔ pb, beside HOLDS_POST
    ],
}
LABELS = {n["id"]: n["name"] or n["id"] for n in NETWORK["nodes"]}
NEIGHBOURHOOD = {  # what expanding 第一党小组 brings: its buildings and one more member
    "nodes": [
        node("pg1", "PartyGroup", "第一党小组", 0),
        node("b1", "Building", "1号楼", 1),
        node("b2", "Building", "2号楼", 1),
        node("p9", "Person", "周敏", 1),
    ],
    "links": [
        link("cv-b1", "COVERS", "pg1", "b1"),
        link("cv-b2", "COVERS", "pg1", "b2"),
        link("m-p9", "MEMBER_OF", "p9", "pg1", since="2022-01-01"),
    ],
}

# what the page can tell about each node: position, shape size, label, accessible name
STATE_JS = """() => {
  const vb = document.querySelector("svg.ng-svg").getAttribute("viewBox").split(" ").map(Number);
  const nodes = {};
  for (const g of document.querySelectorAll("g.ng-node")) {
    const m = /translate\\(([-\\d.e]+) ([-\\d.e]+)\\)/.exec(g.getAttribute("transform"));
    const box = g.querySelector(".ng-shape").getBBox();
    nodes[g.dataset.id] = {
      x: Number(m[1]), y: Number(m[2]), r: Math.max(box.width, box.height) / 2,
      label: g.querySelector("text").textContent, aria: g.getAttribute("aria-label"),
      tabindex: g.getAttribute("tabindex"), role: g.getAttribute("role"),
    };
  }
  return { vb, nodes };
}"""


@pytest.fixture
def no_warnings(page: Any) -> Any:
    """Console warnings fail the test too (the ``page`` fixture checks errors)."""
    warnings: list[str] = []
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
    yield
    assert not warnings, warnings


@pytest.fixture
def net(page: Any, live_app: Any, no_warnings: Any) -> Any:
    """The test page, loaded, with an empty NetworkView as ``window.view``."""
    page.route(
        f"{live_app.url}{PAGE_PATH}",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=HTML,
            headers={"Content-Security-Policy": CSP},
        ),
    )
    page.goto(PAGE_PATH)
    page.wait_for_function("window.ready === true")
    return page


def draw(page: Any, data: dict[str, Any] = NETWORK) -> dict[str, Any]:
    page.evaluate("(d) => window.view.setData(d)", data)
    return page.evaluate(STATE_JS)


def assert_no_overlap(nodes: dict[str, Any]) -> None:
    ids = sorted(nodes)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            p, q = nodes[a], nodes[b]
            d = math.hypot(p["x"] - q["x"], p["y"] - q["y"])
            assert d > p["r"] + q["r"], f"{a} and {b} overlap: {d:.1f} apart"


def test_draws_every_node_inside_the_view_without_overlap(net: Any) -> None:
    state = draw(net)
    nodes = state["nodes"]
    assert set(nodes) == set(LABELS)
    x, y, w, h = state["vb"]
    for nid, n in nodes.items():
        assert n["label"] == LABELS[nid]
        assert math.isfinite(n["x"]) and math.isfinite(n["y"])
        assert x <= n["x"] <= x + w and y <= n["y"] <= y + h, (nid, n, state["vb"])
    assert_no_overlap(nodes)
    # the center is pinned in the middle
    assert (nodes["c1"]["x"], nodes["c1"]["y"]) == (0, 0)
    # the live legend names each kind in Chinese
    legend = net.locator(".ng-legend").inner_text()
    for kind in ("小区", "党支部", "党小组", "业委会", "物业公司", "服务站", "人员"):
        assert kind in legend


def test_accessible_names_and_contrast(net: Any) -> None:
    nodes = draw(net)["nodes"]
    for nid, n in nodes.items():
        kind = next(k["kind"] for k in NETWORK["nodes"] if k["id"] == nid)
        assert n["tabindex"] == "0" and n["role"] == "button"
        assert n["aria"] == f"{KIND_LABELS[kind]}: {LABELS[nid]}"
    svg_label = net.get_attribute("svg.ng-svg", "aria-label")
    assert svg_label.startswith("阳光花园小区治理网络") and "15 个节点" in svg_label
    assert "Noto Sans CJK SC" in net.get_attribute("svg.ng-svg", "font-family")
    # WCAG: label text ≥ 4.5:1 on white, node shapes (graphics) ≥ 3:1
    ratios = net.evaluate("""() => {
      const lum = (hex) => {
        const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
          .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
      };
      const ratio = (hex) => 1.05 / (lum(hex) + 0.05);
      const q = (s, a) => [...document.querySelectorAll(s)].map((e) => ratio(e.getAttribute(a)));
      return { text: q("g.ng-node text", "fill"), shapes: q("g.ng-node .ng-shape", "fill"),
               links: q("g.ng-link .ng-line", "stroke") };
    }""")
    assert min(ratios["text"]) >= 4.5
    assert min(ratios["shapes"]) >= 3
    assert min(ratios["links"]) >= 3


def test_links_dashed_when_ended_with_a_tooltip(net: Any) -> None:
    draw(net)
    links = net.evaluate("""() => Object.fromEntries(
      [...document.querySelectorAll("g.ng-link")].map((g) => [g.dataset.id, {
        dash: g.querySelector(".ng-line").getAttribute("stroke-dasharray"),
        title: g.querySelector("title").textContent }]))""")
    assert len(links) == len(NETWORK["links"])
    assert links["h-p7"]["dash"] and "任职" in links["h-p7"]["title"]
    assert "项目经理" in links["h-p7"]["title"]
    assert "2021-03-01" in links["h-p7"]["title"] and "2023-12-31" in links["h-p7"]["title"]
    assert all(v["dash"] is None for k, v in links.items() if k != "h-p7")
    assert "赵磊 → 安居物业" in links["h-p7"]["title"]
    # two links between the same pair are drawn apart, not on top of each other
    d = net.evaluate("""() => ["h-p1", "m-p1"].map((id) =>
      document.querySelector(`g.ng-link[data-id="${id}"] .ng-line`).getAttribute("d"))""")
    assert d[0] != d[1]


def test_click_selects_enter_and_double_click_expand(net: Any) -> None:
    draw(net)
    net.click('g.ng-node[data-id="p3"] .ng-shape')
    assert net.evaluate("window.events.select") == ["p3"]
    assert net.get_attribute('g.ng-node[data-id="p3"]', "aria-pressed") == "true"
    net.focus('g.ng-node[data-id="oc"]')
    net.keyboard.press("Enter")
    assert net.evaluate("window.events.expand") == ["oc"]
    net.keyboard.press(" ")
    assert net.evaluate("window.events.select") == ["p3", "oc"]
    net.wait_for_timeout(450)  # not a double-click with the click above
    net.dblclick('g.ng-node[data-id="pc"] .ng-shape')
    assert net.evaluate("window.events.expand") == ["oc", "pc"]
    # the toolbar's 展开 acts on the selection
    net.click('button[aria-label="展开所选节点"]')
    assert net.evaluate("window.events.expand")[-1] == net.evaluate("window.events.select")[-1]
    # Tab walks the nodes
    net.focus('g.ng-node[data-id="c1"]')
    net.keyboard.press("Tab")
    assert net.evaluate("document.activeElement.getAttribute('role')") == "button"
    # ... and keyboard focus shows the focus ring (the second ring of the overlay)
    ring = net.evaluate("document.querySelectorAll('.ng-ui circle')[1].getAttribute('display')")
    assert ring is None


def test_pan_zoom_and_drag(net: Any) -> None:
    before = draw(net)
    vb0 = before["vb"]
    net.click('button[aria-label="放大"]')
    vb1 = net.evaluate(STATE_JS)["vb"]
    assert vb1[2] < vb0[2]
    net.click('button[aria-label="适应窗口"]')
    assert net.evaluate(STATE_JS)["vb"] == vb0
    box = net.locator("svg.ng-svg").bounding_box()
    net.mouse.move(box["x"] + 10, box["y"] + 10)
    net.mouse.wheel(0, 300)
    assert net.evaluate(STATE_JS)["vb"][2] > vb0[2]
    net.click('button[aria-label="适应窗口"]')
    # drag the background: the view pans, the nodes stay
    net.mouse.move(box["x"] + 15, box["y"] + 15)
    net.mouse.down()
    net.mouse.move(box["x"] + 115, box["y"] + 65, steps=5)
    net.mouse.up()
    panned = net.evaluate(STATE_JS)
    assert panned["vb"][0] < vb0[0] and panned["nodes"] == before["nodes"]
    # drag a node: it moves, the others stay
    shape = net.locator('g.ng-node[data-id="ss"] .ng-shape').bounding_box()
    cx, cy = shape["x"] + shape["width"] / 2, shape["y"] + shape["height"] / 2
    net.mouse.move(cx, cy)
    net.mouse.down()
    net.mouse.move(cx + 40, cy + 30, steps=5)
    net.mouse.up()
    after = net.evaluate(STATE_JS)["nodes"]
    assert after["ss"]["x"] != before["nodes"]["ss"]["x"]
    assert all(after[k] == v for k, v in before["nodes"].items() if k != "ss")
    assert net.evaluate("window.events.select") == []  # a drag is not a click


def test_merge_keeps_existing_nodes_and_set_data_drops_absent_ones(net: Any) -> None:
    before = draw(net)["nodes"]
    net.evaluate("(d) => window.view.merge(d)", NEIGHBOURHOOD)
    after = net.evaluate(STATE_JS)["nodes"]
    assert set(after) == set(before) | {"b1", "b2", "p9"}
    for nid, n in before.items():
        assert math.hypot(after[nid]["x"] - n["x"], after[nid]["y"] - n["y"]) <= 3, nid
    assert_no_overlap(after)
    assert after["b1"]["label"] == "1号楼"
    # the new nodes start beside their neighbour, not across the drawing
    g = after["pg1"]
    for b in ("b1", "b2", "p9"):
        assert math.hypot(after[b]["x"] - g["x"], after[b]["y"] - g["y"]) < 300, b
    # setData: what is no longer in the answer leaves, what stays keeps its place (and the view
    # does not jump); a name the new answer hides is hidden
    vb = net.evaluate(STATE_JS)["vb"]
    kept = [
        n if n["id"] != "p5" else {**n, "name": None}
        for n in NETWORK["nodes"]
        if n["id"] not in ("p8", "ss")
    ]
    links = [lk for lk in NETWORK["links"] if "ss" not in (lk["source"], lk["target"])]
    state = draw(net, {"center": "c1", "nodes": kept, "links": links})
    assert set(state["nodes"]) == {n["id"] for n in kept}
    assert state["vb"] == vb
    assert state["nodes"]["p5"]["label"] == "p5" and state["nodes"]["p5"]["aria"] == "人员: p5"
    for nid, n in state["nodes"].items():
        assert (n["x"], n["y"]) == (after[nid]["x"], after[nid]["y"])
    assert net.locator("g.ng-link").count() == len(links)


def test_layout_is_deterministic_and_takes_300_nodes(net: Any) -> None:
    again = net.evaluate(
        """(d) => {
      const other = document.createElement("div");
      document.body.append(other);
      const v = new window.NetworkView(other, window.options);
      v.setData(d);
      const pos = Object.fromEntries([...other.querySelectorAll("g.ng-node")]
        .map((g) => [g.dataset.id, g.getAttribute("transform")]));
      v.destroy();
      return { pos, left: other.childElementCount };
    }""",
        NETWORK,
    )
    assert again["left"] == 0  # destroy() leaves nothing behind
    draw(net)
    first = net.evaluate("""() => Object.fromEntries(
      [...document.querySelectorAll("#box g.ng-node")]
        .map((g) => [g.dataset.id, g.getAttribute("transform")]))""")
    assert first == again["pos"]
    # a big compound: 1 branch, 12 groups, 24 buildings, 262 people, all laid out apart
    big = net.evaluate("""() => {
      const nodes = [{ id: "c", kind: "Compound", name: "大社区", distance: 0 },
                     { id: "pb", kind: "PartyBranch", name: "总支", distance: 1 }];
      const links = [{ id: "cov", kind: "COVERS", source: "pb", target: "c" }];
      for (let g = 0; g < 12; g++) {
        nodes.push({ id: `g${g}`, kind: "PartyGroup", name: `第${g + 1}党小组`, distance: 2 });
        links.push({ id: `gl${g}`, kind: "PART_OF", source: `g${g}`, target: "pb" });
      }
      for (let b = 0; b < 24; b++) {
        nodes.push({ id: `b${b}`, kind: "Building", name: `${b + 1}号楼`, distance: 1 });
        links.push({ id: `bl${b}`, kind: "COVERS", source: `g${b % 12}`, target: `b${b}` });
      }
      for (let p = 0; p < 262; p++) {
        nodes.push({ id: `p${p}`, kind: "Person", name: null, distance: 2 });
        links.push({ id: `pl${p}`, kind: "RESIDES_IN", source: `p${p}`, target: `b${p % 24}` });
      }
      window.view.setData({ center: "c", nodes, links });
      return { drawn: document.querySelectorAll("#box g.ng-node").length };
    }""")
    assert big["drawn"] == 300
    state = net.evaluate(STATE_JS)
    x, y, w, h = state["vb"]
    assert all(x <= n["x"] <= x + w and y <= n["y"] <= y + h for n in state["nodes"].values())
    assert_no_overlap(state["nodes"])


def test_svg_export_is_a_standalone_document(net: Any) -> None:
    draw(net)
    svg = net.evaluate("window.view.toSVG()")
    parsed = "(s) => new DOMParser().parseFromString(s, 'image/svg+xml')"
    assert net.evaluate(f"{parsed}.querySelector('parsererror') === null", svg)
    root = ET.fromstring(svg.encode("utf-8"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.get("width")) > 100 and float(root.get("height")) > 100
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for label in LABELS.values():
        assert label in texts
    assert "阳光花园小区治理网络" in texts  # the title
    assert root.find("s:title", ns).text == "阳光花园小区治理网络"
    for kind in ("小区", "党支部", "业委会", "物业公司", "服务站", "人员"):
        assert kind in texts  # the legend
    assert "虚线：已结束的关系" in texts
    # nothing that needs the page or another file: no CSS classes' rules, no external refs
    assert "<style" not in svg and "@font-face" not in svg and "tabindex" not in svg
    assert not re.search(r'(href|src)="(?!#)', svg)
    assert "Noto Sans CJK SC" in root.get("font-family")
    titles = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("项目经理" in t for t in titles)  # link tooltips travel with the file


def test_png_export(net: Any) -> None:
    draw(net)
    png = net.evaluate("""async () => {
      const blob = await window.view.toPNG(2);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      return { type: blob.type, size: blob.size, head: Array.from(bytes.slice(0, 24)) };
    }""")
    assert png["type"] == "image/png" and png["size"] > 5000
    head = bytes(png["head"])
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    svg_w = float(ET.fromstring(net.evaluate("window.view.toSVG()").encode()).get("width"))
    assert width == round(svg_w * 2) and height > 200
