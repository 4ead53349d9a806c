"""The hostile import corpus, as data: malformed or abusive files and what the importer must do.

Each case writes its files into a fresh folder. An error case names a fragment of the
``expected`` text of one :class:`~govgraph.loaders.rows.RowError` (and, where it matters, the row
and column); ``test_import_hostile.py`` checks that the import raises ``DataImportError`` with it,
quickly, and that the store is unchanged. An accepted case names the nodes it must store.

What we decided for formula injection (see docs/formats.md): a cell starting with ``=`` is
refused (formulas are never evaluated); ``+``, ``-`` and ``@`` are plain text and stored as
written, and every export we write (CSV, the errors report, Excel) disarms text that a
spreadsheet would run.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from govgraph.loaders.template import write_template

Make = Callable[[Path], list[Path]]
GOOD_CSV = "编号,名称\ncmp-1,云北苑小区\n"


@dataclass(frozen=True)
class ImportCase:
    name: str
    make: Make
    #: a fragment of the error's ``expected``; empty for an accepted case
    expect: str = ""
    row: int | None = None
    column: str | None = None
    #: for an accepted case: node id -> the properties it must have
    accepted: dict[str, dict[str, Any]] | None = None


def raw(name: str, data: bytes | str) -> Make:
    def make(folder: Path) -> list[Path]:
        path = folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return [path]

    return make


def workbook_bytes(rows: list[list[Any]], sheet: str = "Compound") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook(rows: list[list[Any]], sheet: str = "Compound", name: str = "台账.xlsx") -> Make:
    return raw(name, workbook_bytes(rows, sheet))


def patched_workbook(name: str, rows: list[list[Any]], patch: Callable[[str], str]) -> Make:
    """A workbook whose first sheet's XML is rewritten by ``patch`` (what Excel never writes)."""

    def make(folder: Path) -> list[Path]:
        src = zipfile.ZipFile(io.BytesIO(workbook_bytes(rows)))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for n in src.namelist():
                data = src.read(n)
                if n == "xl/worksheets/sheet1.xml":
                    data = patch(data.decode()).encode()
                out.writestr(n, data)
        path = folder / name
        path.write_bytes(buf.getvalue())
        return [path]

    return make


def template(folder: Path) -> list[Path]:
    return [write_template(folder / "模板.xlsx")]


def cut(make: Make, keep: float = 0.5) -> Make:
    """The files of ``make`` cut off part-way (a copy or download that stopped)."""

    def made(folder: Path) -> list[Path]:
        paths = make(folder)
        for p in paths:
            data = p.read_bytes()
            p.write_bytes(data[: int(len(data) * keep)])
        return paths

    return made


def json_doc(nodes: list[dict[str, Any]], name: str = "g.json") -> Make:
    return raw(name, json.dumps({"nodes": nodes, "links": []}, ensure_ascii=False))


def snapshot(lines: list[str], name: str = "g.jsonl") -> Make:
    head = json.dumps({"format": "govgraph-snapshot", "version": 1, "seq": 1})
    return raw(name, "\n".join([head, *lines]) + "\n")


NODE_LINE = json.dumps({"node": {"id": "cmp-1", "kind": "Compound", "props": {"name": "云北苑"}}})
SHEET_CELL = "a" * 32767  # what openpyxl writes at most; patched into bigger or hostile content
_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def _no_declaration(xml: str) -> str:
    return re.sub(r"^<\?xml[^>]*\?>", "", xml)


CASES: list[ImportCase] = [
    # --- encodings -------------------------------------------------------------------------------
    ImportCase("GBK CSV", raw("Compound.csv", GOOD_CSV.encode("gbk")), "GBK/GB18030"),
    ImportCase(
        "GB18030 CSV with four-byte characters",
        raw("Compound.csv", "编号,名称\ncmp-1,𠀀𠀁苑\n".encode("gb18030")),
        "GBK/GB18030",
    ),
    ImportCase(
        "UTF-16 LE with BOM",
        raw("Compound.csv", codecs.BOM_UTF16_LE + GOOD_CSV.encode("utf-16-le")),
        "UTF-16",
    ),
    ImportCase(
        "UTF-16 BE with BOM",
        raw("Compound.csv", codecs.BOM_UTF16_BE + GOOD_CSV.encode("utf-16-be")),
        "UTF-16",
    ),
    ImportCase(
        "UTF-16 without a BOM", raw("Compound.csv", GOOD_CSV.encode("utf-16-le")), "NUL bytes"
    ),
    ImportCase(
        "Latin-1 text",
        raw("Compound.csv", "id,name\ncmp-1,Résidence Café\n".encode("latin-1")),
        "another encoding",
    ),
    ImportCase(
        "Latin-1 garbage",
        raw("Compound.csv", b"id,name\n" + bytes(range(0x80, 0x100)) * 64),
        "another encoding",
    ),
    ImportCase(
        "UTF-8 with BOM",
        raw("Compound.csv", codecs.BOM_UTF8 + GOOD_CSV.encode()),
        accepted={"cmp-1": {"name": "云北苑小区"}},
    ),
    ImportCase(
        "UTF-8 with the BOM twice",
        raw("Compound.csv", codecs.BOM_UTF8 * 2 + GOOD_CSV.encode()),
        accepted={"cmp-1": {"name": "云北苑小区"}},
    ),
    # --- not text at all -------------------------------------------------------------------------
    ImportCase(
        "PNG named .csv",
        raw("Compound.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8),
        "NUL bytes",
    ),
    ImportCase(
        "workbook named .csv",
        raw("Compound.csv", workbook_bytes([["id", "name"], ["cmp-1", "x"]])),
        "zip file",
    ),
    ImportCase(
        "NUL byte in a CSV cell", raw("Compound.csv", "id,name\ncmp-1,a\x00b\n"), "NUL bytes"
    ),
    # --- empty and header-only -------------------------------------------------------------------
    ImportCase("empty CSV", raw("Compound.csv", b""), "this file is empty"),
    ImportCase("CSV of blank lines", raw("Compound.csv", "\n \r\n\t\n"), "this file is empty"),
    ImportCase("header-only CSV", raw("Compound.csv", "编号,名称\n"), accepted={}),
    ImportCase("the empty template", template, accepted={}),
    ImportCase("empty workbook file", raw("台账.xlsx", b""), "cannot be opened"),
    ImportCase("empty JSON", raw("g.json", b""), "this file is empty"),
    ImportCase("empty snapshot", raw("g.jsonl", b""), "govgraph snapshot"),
    # --- headers ---------------------------------------------------------------------------------
    ImportCase(
        "duplicate headers",
        raw("Compound.csv", "id,name,name\ncmp-1,a,b\n"),
        "each header once",
        row=1,
        column="name",
    ),
    ImportCase(
        "two headers for one field",
        raw("Compound.csv", "id,name,名称\ncmp-1,a,b\n"),
        "one column per field",
        row=1,
        column="名称",
    ),
    ImportCase(
        "more cells than headers",
        raw("Compound.csv", "id,name\ncmp-1,a,b,c\n"),
        "a header above every filled cell",
        row=2,
    ),
    ImportCase(
        "semicolon-separated CSV",
        raw("Compound.csv", "id;name\ncmp-1;a\n"),
        "comma-separated",
        row=1,
    ),
    # --- truncated files -------------------------------------------------------------------------
    ImportCase(
        "CSV cut inside a quoted cell",
        raw("Compound.csv", 'id,name\ncmp-1,"云北苑小'),
        "ends inside a quoted cell",
        row=2,
    ),
    ImportCase(
        "JSON cut in half",
        cut(json_doc([{"id": f"cmp-{i}", "kind": "Compound"} for i in range(50)])),
        "ends in the middle",
    ),
    ImportCase(
        "snapshot cut in the middle of a line",
        cut(snapshot([NODE_LINE] * 3), keep=0.8),
        "cut off",
    ),
    ImportCase(
        "workbook cut in half (a zip cut in half)",
        cut(workbook([["id", "name"], *[[f"cmp-{i}", "x"] for i in range(200)]])),
        "cannot be opened",
    ),
    ImportCase(
        "workbook with a broken sheet",
        patched_workbook("坏表.xlsx", [["id", "name"], ["cmp-1", "x"]], lambda x: x[: len(x) // 2]),
        "a readable worksheet",
    ),
    # --- JSON that is valid but absurd -----------------------------------------------------------
    ImportCase(
        "JSON nested too deeply",
        raw("g.json", '{"nodes": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "too deeply",
    ),
    ImportCase(
        "snapshot line nested too deeply",
        snapshot(['{"node": ' + "[" * 100_000 + "]" * 100_000 + "}"]),
        "too deeply",
        row=2,
    ),
    ImportCase(
        "JSON number of 5000 digits",
        raw(
            "g.json",
            '{"nodes": [{"id": "c1", "kind": "Compound", "props": {"households": 1'
            + "0" * 5000
            + "}}]}",
        ),
        "numbers Python can read",
    ),
    ImportCase(
        "JSON NaN",
        raw(
            "g.json",
            '{"nodes": [{"id": "c1", "kind": "Compound", "props": {"investment_yuan": NaN}}]}',
        ),
        "finite number",
        row=1,
        column="investment_yuan",
    ),
    ImportCase(
        "JSON Infinity",
        raw(
            "g.json",
            '{"nodes": [{"id": "c1", "kind": "Compound",'
            ' "props": {"investment_yuan": -Infinity}}]}',
        ),
        "finite number",
    ),
    ImportCase(
        "JSON float overflowing to infinity",
        raw(
            "g.json",
            '{"nodes": [{"id": "c1", "kind": "Compound", "props": {"investment_yuan": 1e999}}]}',
        ),
        "finite number",
    ),
    ImportCase(
        "JSON whole number over 64 bits",
        json_doc([{"id": "c1", "kind": "Compound", "props": {"households": 2**64}}]),
        "64-bit",
    ),
    ImportCase(
        "JSON unpaired surrogate",
        raw(
            "g.json", '{"nodes": [{"id": "c1", "kind": "Compound", "props": {"name": "\\ud800"}}]}'
        ),
        "unpaired surrogates",
    ),
    ImportCase(
        "JSON unpaired surrogate in an id",
        raw("g.json", '{"nodes": [{"id": "c\\udc00", "kind": "Compound"}]}'),
        "control characters",
        column="id",
    ),
    ImportCase(
        "JSON control character in a name",
        json_doc([{"id": "c1", "kind": "Compound", "props": {"name": "响铃\u0007"}}]),
        "control characters",
    ),
    ImportCase("JSON list at the top", raw("g.json", "[1, 2, 3]"), 'a JSON object {"nodes"'),
    ImportCase(
        "JSON props that are not an object",
        json_doc([{"id": "c1", "kind": "Compound", "props": ["name", "x"]}]),
        "an object of properties",
    ),
    # --- formulas --------------------------------------------------------------------------------
    ImportCase(
        "formula in an Excel cell",
        workbook([["id", "name"], ["cmp-1", '=HYPERLINK("http://example.invalid","点我")']]),
        "not a formula",
        row=2,
        column="name",
    ),
    ImportCase(
        "formula as an Excel id",
        workbook([["id", "name"], ["=1+1", "x"]]),
        "not a formula",
        row=2,
        column="id",
    ),
    ImportCase(
        "DDE formula in a CSV cell",
        raw("Compound.csv", "id,name\ncmp-1,=cmd|' /C calc'!A0\n"),
        "not a formula",
        row=2,
    ),
    ImportCase(
        "formula after spaces",
        raw("Compound.csv", "id,name\ncmp-1,   =1+1\n"),
        "not a formula",
    ),
    ImportCase(
        "formula in a kind column",
        raw("data.csv", "kind,id,name\n=HYPERLINK(1),cmp-1,x\n"),
        "not a formula",
    ),
    ImportCase(
        "plus, minus and at signs in Excel",
        workbook(
            [
                ["id", "name", "source"],
                ["cmp-1", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"],
                ["cmp-2", "-2+3+cmd|' /C calc'!A0", "'=kept as text"],
            ]
        ),
        accepted={
            "cmp-1": {"name": "+cmd|' /C calc'!A0", "source": "@SUM(1+1)*cmd|' /C calc'!A0"},
            "cmp-2": {"name": "-2+3+cmd|' /C calc'!A0", "source": "=kept as text"},
        },
    ),
    # --- enormous cells and rows -----------------------------------------------------------------
    ImportCase(
        "10 MB cell in a CSV",
        raw("Compound.csv", "id,name\ncmp-1," + "云" * 10_000_000 + "\n"),
        "a cell runs on past",
        row=2,
    ),
    ImportCase(
        "100 000-character cell in a CSV",
        raw("Compound.csv", "id,name\ncmp-1," + "a" * 100_000 + "\n"),
        "at most 32767 characters",
        column="name",
    ),
    ImportCase(
        "10 MB cell in a workbook",
        patched_workbook(
            "大格.xlsx",
            [["id", "name"], ["cmp-1", SHEET_CELL]],
            lambda x: x.replace(SHEET_CELL, "a" * 10_000_000),
        ),
        "at most 32767 characters",
        row=2,
        column="name",
    ),
    ImportCase(
        "10 MB string in JSON",
        json_doc([{"id": "c1", "kind": "Compound", "props": {"name": "x" * 10_000_000}}]),
        "at most 32767 characters",
    ),
    ImportCase(
        "30 000 lines in one CSV cell",
        raw("Compound.csv", 'id,name\ncmp-1,"' + "行\n" * 30_000 + '"\n'),
        "at most 32767 characters",
    ),
    ImportCase(
        "200 000 lines in one CSV cell",
        raw("Compound.csv", 'id,name\ncmp-1,"' + "行\n" * 200_000 + '"\n'),
        "a cell runs on past",
    ),
    ImportCase(
        "10 000 rows with the last one bad",
        raw(
            "Compound.csv",
            "id,households\n"
            + "".join(f"cmp-{i},{i}\n" for i in range(10_000))
            + "cmp-last,很多\n",
        ),
        "a whole number",
        row=10_002,
        column="households",
    ),
    # --- XML attacks in workbooks ----------------------------------------------------------------
    ImportCase(
        "XML bomb in a workbook",
        patched_workbook(
            "炸弹.xlsx",
            [["id", "name"], ["cmp-1", SHEET_CELL]],
            lambda x: _LAUGHS + _no_declaration(x).replace(SHEET_CELL, "&lol9;"),
        ),
        "no DTDs or entities",
    ),
    ImportCase(
        "external entity in a workbook",
        patched_workbook(
            "外部.xlsx",
            [["id", "name"], ["cmp-1", SHEET_CELL]],
            lambda x: (
                '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                + _no_declaration(x).replace(SHEET_CELL, "&xxe;")
            ),
        ),
        "no DTDs or entities",
    ),
    # --- the wrong kind of file ------------------------------------------------------------------
    ImportCase(
        "old .xls workbook", raw("台账.xls", b"\xd0\xcf\x11\xe0" + bytes(512)), ".xlsx workbook"
    ),
    ImportCase("unsupported suffix", raw("data.txt", GOOD_CSV), "a .csv, .xlsx, .json"),
    ImportCase(
        "a file that is not there", lambda folder: [folder / "nope.csv"], "an existing file"
    ),
    ImportCase(
        "a folder with nothing to import",
        lambda folder: [(folder / "empty").mkdir() or folder / "empty"],
        "a folder holding",
    ),
    ImportCase(
        "sheet named like a formula",
        workbook([["id", "name"], ["cmp-1", "x"]], sheet="=HYPERLINK(1)"),
        "a 'kind' (种类) column",
    ),
]
