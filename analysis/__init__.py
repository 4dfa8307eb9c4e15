"""党建目标管理考核工作台 — the analysis package.

Stages (each imports only those upstream of it)::

    vocab -> ingest -> store -> rules -> scoring -> assess -> terms -> decisions
          -> views/charts/outputs -> reports -> cli

(docs/CONTRACTS.md says which module holds what.)
"""

import sys

# jsonschema (which altair and nbformat validate with) checks the "iri" string format with
# rfc3987_syntax when that package is installed, and importing it builds 38 lark grammars: ~1.5 s in
# every process — the command, each report worker and each notebook kernel.  No schema the workbench
# validates against (Vega-Lite's, nbformat's) uses that format, so it is left out; a program that
# imported rfc3987_syntax before us keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from analysis.store import Store  # noqa: E402

__all__ = ["Store", "open_store"]


def open_store(path: str = "data/store") -> Store:
    """Open an ingested store; its tables come back as polars LazyFrames (``store.table("activities")``)."""
    return Store.open(path)
