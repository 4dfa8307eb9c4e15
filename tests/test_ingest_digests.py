"""Part digests: a later ingest learns a carried-over part's row hashes, org codes and rows per file from
the digest next to it instead of reading the part; a digest that does not fit its part is not used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from analysis.ingest import ingest
from analysis.ingest.links import _hashed
from analysis.store import Store, table_parts
from analysis.store_digest import read_digest

REGISTRY = "组织编码,组织名称,组织类型,上级组织编码\n000100,机关党委,机关党委,\n000101,第一支部,支部,000100\n"
ROWS = "组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n000101,2024-01-06,党课\n000100,2024-02-01,党课\n"


def first_store(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    (data / "b.csv").write_text(ROWS, encoding="utf-8")
    store = tmp_path / "store"
    ingest([data], store=store)
    return data, store


def test_each_part_has_a_digest_of_its_sorted_row_hashes_codes_and_rows_per_file(tmp_path: Path) -> None:
    _, store = first_store(tmp_path)
    (part,) = table_parts(store, "activities")
    digest = read_digest(part, _hashed("activities"))

    assert digest is not None
    assert len(digest.hashes) == 3
    assert list(digest.hashes) == sorted(digest.hashes)
    assert sorted(digest.org_ids) == ["000100", "000101"]
    assert digest.counts == {"b.csv": 3}


def test_a_row_repeated_in_a_file_that_sorts_first_makes_the_carried_over_copy_the_duplicate(tmp_path: Path) -> None:
    data, store = first_store(tmp_path)
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-01-06,党课\n", encoding="utf-8")
    result = ingest([data], store=store)
    st = Store.open(store)

    assert result.files["path"].to_list() == ["a.csv"]
    assert st.duplicates().select("table", "_file", "_row").rows() == [("activities", "b.csv", 3)]
    assert sorted(st.table("activities").collect().select("_file", "_row").rows()) == [
        ("a.csv", 2), ("b.csv", 2), ("b.csv", 4)
    ]  # fmt: skip
    for part in table_parts(store, "activities"):  # the rewritten part got a digest of its new rows
        d = read_digest(part, _hashed("activities"))
        assert d is not None and len(d.hashes) == pl.read_parquet(part).height


def test_a_digest_that_does_not_count_its_parts_rows_is_not_used(tmp_path: Path) -> None:
    data, store = first_store(tmp_path)
    (part,) = table_parts(store, "activities")
    meta = part.with_suffix(".digest")
    bad = json.loads(meta.read_text(encoding="utf-8"))
    bad["rows"] = 1
    meta.write_text(json.dumps(bad), encoding="utf-8")
    with part.with_suffix(".hashes").open("wb") as fh:
        np.save(fh, np.zeros(1, np.uint64))  # hashes of some other part: no row of this one among them

    assert read_digest(part, _hashed("activities")) is None
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000100,2024-02-01,党课\n", encoding="utf-8")
    ingest([data], store=store)

    assert Store.open(store).duplicates().select("_file", "_row").rows() == [("b.csv", 4)]


def test_a_digest_made_with_another_hash_recipe_is_not_used(tmp_path: Path) -> None:
    _, store = first_store(tmp_path)
    (part,) = table_parts(store, "activities")

    assert read_digest(part, _hashed("activities") + ",extra") is None
