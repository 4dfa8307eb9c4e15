"""What every page of a batch shares, written once into ``assets/`` next to the pages.

- ``font.js``: the CJK font cut to the characters of all the batch's pages (one WOFF2 of a few hundred
  KB), handed to the browser as a ``FontFace`` from the script's own bytes.  Browsers refuse a font
  *file* linked from a ``file://`` page (each file is its own origin) but run a classic script next to
  it, so one copy serves every page instead of one embedded copy per page (60 单位画像 pages made that
  17 MB).  A page opened without its folder falls back to the system's CJK fonts; the charts are
  pictures and carry their own glyphs.
- ``tables.js``: sortable, searchable tables.  DataTables as itables bundles it for its offline mode
  (``connected=False``), wrapped the way itables' offline notebook mode loads it (a module from a
  ``blob:`` URL, no network), and applied to every ``table.dataframe`` of the page with Chinese
  controls, no paging (print and search see every row) and the rows in their given order until a
  header is clicked.  Without the script the tables are the same plain HTML tables.
"""

from __future__ import annotations

import base64
import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from analysis.vocab import TABLE_UI_ZH

ASSETS_DIR = "assets"
FONT_SCRIPT = f"{ASSETS_DIR}/font.js"
TABLES_SCRIPT = f"{ASSETS_DIR}/tables.js"
FONT_FAMILY_CSS = "Workbench CJK"  #: the family the pages' stylesheets name first
#: tables with more rows than this get a search box (all can be sorted)
SEARCH_FROM_ROWS = 10

_NON_ASCII = re.compile(r"[^\x00-\x7f]")

_FONT_JS = """/* The CJK font of the workbench, cut to the characters of this batch's pages. */
(function () {
  var data = "%s";
  var raw = atob(data), bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
  var face = new FontFace(%s, bytes.buffer);
  document.fonts.add(face);
  face.load();
})();
"""

_TABLES_JS = """/* Sortable, searchable tables: DataTables as bundled by itables %(version)s (offline mode). */
(function () {
  var style = document.createElement("style");
  style.textContent = %(css)s;
  document.head.appendChild(style);
  var url = URL.createObjectURL(new Blob([%(js)s], {type: "text/javascript"}));
  var ready = import(url);
  var options = %(options)s;
  function enhance() {
    ready.then(function (dt) {
      document.querySelectorAll("table.dataframe").forEach(function (table) {
        var rows = table.tBodies.length ? table.tBodies[0].rows.length : 0;
        if (rows === 0) { return; }
        new dt.ITable(table, Object.assign({}, options, {searching: rows > %(search_from)d}));
      });
      document.documentElement.dataset.tables = "ready";
    }, function (err) {
      document.documentElement.dataset.tables = "failed";
      console.warn(err);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); }
  else { enhance(); }
})();
"""


def page_characters(pages: Iterable[Path]) -> str:
    """Every character the pages show that a CJK font must draw, and all of printable ASCII."""
    found: set[str] = set()
    for page in pages:
        # the pages are mostly base64 pictures: look for the non-ASCII characters only (a regex in C)
        found.update(_NON_ASCII.findall(Path(page).read_text(encoding="utf-8")))
    chars = {c for c in found if c.isprintable()} | {chr(i) for i in range(32, 127)}
    return "".join(sorted(chars))


def write_font_script(out_dir: Path, pages: Iterable[Path]) -> int:
    """Write ``assets/font.js`` for ``pages``; returns the font's size in bytes (0: no CJK font known,
    and no script written — the pages then use the reader's fonts)."""
    from analysis.charts import subset_font

    target = out_dir / FONT_SCRIPT
    with tempfile.TemporaryDirectory() as tmp:
        font = subset_font(page_characters(pages), Path(tmp) / "cjk.woff2")
        if font is None:
            target.unlink(missing_ok=True)
            return 0
        data = font.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    encoded = base64.b64encode(data).decode("ascii")
    target.write_text(_FONT_JS % (encoded, json.dumps(FONT_FAMILY_CSS)), encoding="utf-8")
    return len(data)


def write_tables_script(out_dir: Path) -> Path:
    """Write ``assets/tables.js`` (itables' DataTables bundle and the code that applies it)."""
    from itables.utils import read_package_file
    from itables.version import __version__

    options = {
        "paging": False,
        "info": False,
        "autoWidth": False,
        "order": [],
        "layout": {"topStart": None, "topEnd": "search", "bottomStart": None, "bottomEnd": None},
        "language": TABLE_UI_ZH,
    }
    script = _TABLES_JS % {
        "version": __version__,
        "css": json.dumps(read_package_file("html/dt_bundle.css")),
        "js": json.dumps(read_package_file("html/dt_bundle.js")),
        "options": json.dumps(options, ensure_ascii=False),
        "search_from": SEARCH_FROM_ROWS,
    }
    target = out_dir / TABLES_SCRIPT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(script, encoding="utf-8")
    return target
