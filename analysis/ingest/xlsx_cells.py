"""What the cell values of a workbook do not say: which cells hold a formula that was never calculated
(no cached value: Excel writes one when it saves, other writers often do not), and whether the workbook
counts its dates from 1904 (Mac Excel) instead of 1900.

Error cells (``#DIV/0!``, ``#N/A`` …) need no look at the XML: the Excel reader reports them with their
positions (:func:`error_text`).  Formulas are looked for in the sheet's XML, and only a sheet that holds
one is parsed further, so a plain export costs one scan for ``<f``.
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import PurePosixPath

#: the reader's names of Excel's error values -> the text Excel shows
ERROR_TEXTS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Ref": "#REF!",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix (x:c)
_DATE1904 = re.compile(rb"<" + _NS + rb"workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")
_SHEET = re.compile(rb"<" + _NS + rb"sheet\b([^>]*)/?>")
_REL = re.compile(rb"<" + _NS + rb"Relationship\b([^>]*)/?>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*\"([^\"]*)\"")
_HAS_FORMULA = re.compile(rb"<" + _NS + rb"f[\s>/]")
_CELL_WITH_FORMULA = re.compile(
    rb"<" + _NS + rb"c\s([^>]*?)(?<!/)>"  # the cell's attributes (not a self-closed empty cell)
    rb"((?:(?!</" + _NS + rb"c>).)*?<" + _NS + rb"f[\s>/](?:(?!</" + _NS + rb"c>).)*?)"  # a body holding <f
    rb"</" + _NS + rb"c>",
    re.S,
)
_VALUE = re.compile(rb"<" + _NS + rb"(?:v|is)[\s>]")
_EMPTY_VALUE = re.compile(rb"<" + _NS + rb"v\s*(?:/>|>\s*</" + _NS + rb"v>)")
_FORMULA_TEXT = re.compile(rb"<" + _NS + rb"f\b[^>]*>(.*?)</" + _NS + rb"f>", re.S)
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_ERROR_DETAIL = re.compile(r"Error\((\w+)\)")


def error_text(detail: str) -> str | None:
    """Excel's text (``#DIV/0!``) of a cell error as the reader describes it (``… got 'Error(Div0)'``)."""
    m = _ERROR_DETAIL.search(detail)
    return None if m is None else ERROR_TEXTS.get(m.group(1), "#" + m.group(1).upper())


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: v.decode("utf-8", "replace") for k, v in _ATTR.findall(raw)}


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def date1904(zf: zipfile.ZipFile) -> bool:
    """True when the workbook counts dates from 1904-01-01 (``workbookPr date1904``)."""
    try:
        return bool(_DATE1904.search(zf.read("xl/workbook.xml")))
    except KeyError:
        return False


def sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML."""
    try:
        book, rels = zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for raw in _REL.findall(rels):
        a = _attrs(raw)
        if "Id" in a and "Target" in a:
            t = a["Target"]
            targets[a["Id"]] = t.lstrip("/") if t.startswith("/") else str(PurePosixPath("xl") / t)
    out = {}
    for raw in _SHEET.findall(book):
        a = _attrs(raw)
        if "name" in a and a.get("id") in targets:
            out[html.unescape(a["name"])] = targets[a["id"]]
    return out


def uncached_formulas(zf: zipfile.ZipFile, member: str) -> list[tuple[int, int, str]]:
    """(Excel row from 1, column from 0, ``=formula``) of every formula cell of ``member`` that holds no
    calculated value.  Cells without a reference (``r``) cannot be placed and are left out."""
    try:
        data = zf.read(member)
    except KeyError:
        return []
    if not _HAS_FORMULA.search(data):
        return []
    out = []
    for m in _CELL_WITH_FORMULA.finditer(data):
        attrs = _attrs(m.group(1))
        if _cached(m.group(2), attrs.get("t", "n")):
            continue
        ref = _REF.match(attrs.get("r", ""))
        if ref is None:
            continue
        f = _FORMULA_TEXT.search(m.group(2))
        text = html.unescape(f.group(1).decode("utf-8", "replace")) if f else ""
        out.append((int(ref.group(2)), _column_index(ref.group(1)), "=" + text))
    return out


def _cached(body: bytes, kind: str) -> bool:
    """True when a formula cell's ``body`` holds its calculated value.  An empty ``<v></v>`` is one only
    for a text result (``t="str"``): writers that never calculate put it in numeric cells."""
    if not _VALUE.search(body):
        return False
    return kind in ("str", "inlineStr", "s") or not _EMPTY_VALUE.search(body)


def first_value_column(zf: zipfile.ZipFile, member: str, excel_row: int) -> int | None:
    """The column (from 0) of the first cell of ``excel_row`` that holds a value: where the reader's first
    column is, since it leaves out empty leading columns."""
    data = zf.read(member)
    row = re.search(rb"<" + _NS + rb"row\b[^>]*\br=\"" + str(excel_row).encode() + rb"\"[^>]*>(.*?)</" + _NS + rb"row>", data, re.S)
    if row is None:
        return None
    cols = []
    for m in re.finditer(rb"<" + _NS + rb"c\s([^>]*?)(?<!/)>(.*?)</" + _NS + rb"c>", row.group(1), re.S):
        ref = _REF.match(_attrs(m.group(1)).get("r", ""))
        if ref is not None and _VALUE.search(m.group(2)):
            cols.append(_column_index(ref.group(1)))
    return min(cols) if cols else None
