"""Are two `workbench report` output folders the same?  (main's and this branch's, say.)

Usage::

    python bench/same_reports.py OLD_OUT NEW_OUT

Compares every file but the store (its own check is the ingest's): the same names; SVGs, CSVs,
scripts and pickles byte for byte; PNG pictures pixel for pixel (Pillow's quantizer orders a
palette differently from one run to the next, even of the same code, so the bytes differ); pages
byte for byte once the random cell ids nbconvert writes are taken out (jupytext gives a notebook new
ones at every reading), each embedded picture is read as its pixels and the index's 生成时间 line
is left out; the pages' font (``assets/font.js``, stamped with the time it was cut) by the characters
it draws; PDFs byte for byte but for
their dates and ids, else (a picture's palette again) the same pages with the same text
(``pdftotext``); Excel, Word and PowerPoint files member by member but for ``docProps/core.xml`` (the
time they were written).  Prints what differs and how each file matched, and exits 1 when anything
differs.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

_CELL_ID = re.compile(rb'\sid="cell-id=[0-9a-f-]+"')
_PDF_VOLATILE = re.compile(rb"/(CreationDate|ModDate)\s*\([^)]*\)|/ID\s*\[[^\]]*\]|<xmp:(Create|Modify|Metadata)Date>[^<]*<")
_OFFICE = {".xlsx", ".docx", ".pptx"}
_PNG_URI = re.compile(rb"data:image/png;base64,([A-Za-z0-9+/=]+)")
_MADE_AT = re.compile("生成时间：[0-9: -]+".encode())
_FONT_DATA = re.compile(rb'var data = "([A-Za-z0-9+/=]+)"')
HOW: collections.Counter[str] = collections.Counter()


def _pixels(png: bytes) -> bytes:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGBA")
    return hashlib.sha256(repr(img.size).encode() + img.tobytes()).digest()


def _page(html: bytes) -> bytes:
    html = _MADE_AT.sub(b"", _CELL_ID.sub(b"", html))
    return _PNG_URI.sub(lambda m: _pixels(base64.b64decode(m[1])).hex().encode(), html)


def _font_chars(script: bytes) -> tuple[int, ...]:
    """The characters the font of ``assets/font.js`` draws (fontTools stamps each subset with the time)."""
    from fontTools.ttLib import TTFont

    found = _FONT_DATA.search(script)
    if not found:
        return ()
    return tuple(sorted(TTFont(io.BytesIO(base64.b64decode(found[1]))).getBestCmap()))


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*")
            if p.is_file() and not p.relative_to(root).parts[0].startswith(("store", ".store"))}


def _zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def same(old: Path, new: Path) -> bool:
    suffix = old.suffix.lower()
    a, b = old.read_bytes(), new.read_bytes()
    if a == b:
        HOW["bytes"] += 1
        return True
    if suffix == ".png":
        ok = _pixels(a) == _pixels(b)
        HOW["pixels"] += ok
    elif suffix == ".html":
        ok = _page(a) == _page(b)
        HOW["page (cell ids, picture pixels)"] += ok
    elif suffix == ".pdf":
        ok = _PDF_VOLATILE.sub(b"", a) == _PDF_VOLATILE.sub(b"", b)
        HOW["pdf bytes but dates"] += ok
        if not ok:
            ok = _pdf_text(old) == _pdf_text(new)
            HOW["pdf text and pages"] += ok
    elif old.name == "font.js":
        ok = _font_chars(a) == _font_chars(b)
        HOW["font of the same characters"] += ok
    elif suffix in _OFFICE:
        ok = _zip_members(old) == _zip_members(new)
        HOW["office members but core.xml"] += ok
    else:
        ok = False
    return ok


def main() -> int:
    old_root, new_root = Path(sys.argv[1]), Path(sys.argv[2])
    old, new = _files(old_root), _files(new_root)
    problems = [f"only in {old_root}: {n}" for n in sorted(old.keys() - new.keys())]
    problems += [f"only in {new_root}: {n}" for n in sorted(new.keys() - old.keys())]
    problems += [f"differs: {n}" for n in sorted(old.keys() & new.keys()) if not same(old[n], new[n])]
    for p in problems:
        print(p)
    print(f"{len(old.keys() & new.keys())} files compared, {len(problems)} differences; matched by: {dict(HOW)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
