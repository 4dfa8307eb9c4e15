"""党建目标管理考核工作台 — the analysis package.

Stages (each imports only those upstream of it)::

    vocab -> ingest -> store -> rules -> scoring -> assess -> terms -> decisions
          -> views/charts/outputs -> reports -> cli

(docs/CONTRACTS.md says which module holds what.)
"""

from analysis.store import Store

__all__ = ["Store", "open_store"]


def open_store(path: str = "data/store") -> Store:
    """Open an ingested store; its tables come back as polars LazyFrames (``store.table("activities")``)."""
    return Store.open(path)
