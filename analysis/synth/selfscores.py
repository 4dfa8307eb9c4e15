"""The sample's self-scores (自评得分, issue 18): what part of the orgs claim for themselves for the last year.

Drawn from a random stream of their own (seeded from the sample's seed), so adding them changes no other
file of the sample.  About 40 % of the top-level units send self-scores for 2024, each for all its orgs;
the claims are made against the points the workbench computes, by assessing the sample's own valid rows
(every record of the files except the injected faults and duplicates, each with the file, sheet and row it
is written at, so the evidence names the real files):

- most orgs are honest: each applicable item claimed at its computed points, a few within 0.5 of them
  (一致);
- a few claim a point or so less on one item (少报);
- a few inflate: failed items claimed at their full points until the claimed score is at least 6 points
  above the computed one (自评虚高, and often 等次变化);
- one unit returns the workbench's own 自评分表.xlsx (written by :mod:`analysis.outputs.excel`) with its
  自查得分 column edited: computed points everywhere, one failed item of one org claimed in full.

Items are spelled as rule ids in some files and as the items' Chinese names in others; claims are only
made on items that apply to the org (a claim on a 不适用 item is refused by ``assess``, by design).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import polars as pl

from analysis.assess import Assessment, assess
from analysis.outputs.excel import write_self_assessment
from analysis.scoring import OUT_OF_SCOPE
from analysis.store import Store
from analysis.synth.city import SAMPLE_YEARS, Record, _Org
from analysis.synth.writers import _CREATED, FileFormat, _File, _Sheet, _Style
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET, SELF_SCORES, TABLES

YEAR = SAMPLE_YEARS[-1]
#: share of the top-level units that send self-scores
UNIT_SHARE = 0.4
#: inflating orgs, and orgs claiming a little less than computed (少报), among the senders
INFLATED, UNDERCLAIMED = 6, 3
#: an inflating org claims failed items back until its claimed score is this far above the computed one
INFLATE_TO = 6.0
RETURNED = f"{YEAR}/自评/{{unit}}_{YEAR}年自评分表.xlsx"
#: the layouts of the units' self-score files: (format, item spelled as rule id?, style)
_LAYOUTS: tuple[tuple[FileFormat, bool, _Style], ...] = (
    ("xlsx", False, _Style(headers="star")),
    ("csv-gb18030", False, _Style()),
    ("csv-utf8-bom", True, _Style(headers="spaced")),
    ("json", True, _Style()),
    ("xlsx", True, _Style()),
)


@dataclass
class SelfScores:
    """The self-score files (written as the other tables are) and the returned 自评分表 (written by the
    workbench's own writer), with the ground truth of who claims what."""

    files: list[_File]
    returned: Assessment
    returned_path: str
    returned_rows: int
    honest: tuple[str, ...]
    inflated: tuple[str, ...]
    underclaimed: tuple[str, ...]


def _store(files: list[_File], skip: set[int]) -> Store:
    """The sample's valid rows as a store, each row with the file, sheet and row it is written at."""
    frames: dict[str, list[Record]] = {}
    for f in files:
        for s in f.sheets:
            first = f.first_row(s)
            frames.setdefault(s.table, []).extend(
                {**r, PROV_FILE: f.path, PROV_SHEET: s.name, PROV_ROW: first + i}
                for i, r in enumerate(s.records)
                if id(r) not in skip
            )
    tables = {}
    for name, rows in frames.items():
        columns = [c for c in TABLES[name].names if any(c in r for r in rows[:1])]
        columns += [PROV_FILE, PROV_SHEET, PROV_ROW]
        tables[name] = pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], infer_schema_length=None)
    return Store.from_frames(tables)


def _claims(rng: random.Random, rules: pl.DataFrame, mode: str) -> dict[str, float]:
    """Rule id → claimed points of one org's applicable items (``rules``: its rows of ``a.rules``)."""
    items = [r for r in rules.iter_rows(named=True) if r["status"] not in OUT_OF_SCOPE]
    claims = {r["rule_id"]: round(float(r["earned"]), 1) for r in items}
    if mode == "honest":
        for r in items:
            if rng.random() < 0.1:  # rounded to whole points: within the tolerance of 0.5
                claims[r["rule_id"]] = float(round(r["earned"]))
    elif mode == "under":
        r = rng.choice([r for r in items if r["earned"] >= 1])
        claims[r["rule_id"]] = round(float(r["earned"]) - 1, 1)
    else:  # inflated: failed items claimed at full points, the largest shortfall first
        applicable = sum(float(r["points"]) for r in items)
        gain = 0.0
        for r in sorted(items, key=lambda r: (r["earned"] - r["points"], r["rule_id"])):
            if gain / applicable * 100 >= INFLATE_TO or r["earned"] >= r["points"]:
                break
            claims[r["rule_id"]] = float(r["points"])
            gain += float(r["points"]) - float(r["earned"])
    return claims


def _shortfall(rules: pl.DataFrame) -> float:
    """How far below its applicable points an org scored, in score points (0–100)."""
    rows = rules.filter(~pl.col("status").is_in(OUT_OF_SCOPE))
    points = float(rows["points"].sum())
    return (points - float(rows["earned"].sum())) / points * 100 if points else 0.0


def self_scores(seed: int, orgs: list[_Org], files: list[_File], skip: set[int]) -> SelfScores:
    """The self-scores of :data:`YEAR`; ``skip`` holds the ``id`` of every injected record of ``files``."""
    rng = random.Random(f"self-scores-{seed}")
    a = assess(_store(files, skip), YEAR)
    by_org = a.rules.partition_by("org_id", as_dict=True, maintain_order=True)
    rules = {key[0]: frame for key, frame in by_org.items()}
    tops = [o for o in orgs if o.is_top]
    senders = sorted(rng.sample(tops, round(len(tops) * UNIT_SHARE)), key=lambda o: o.org_id)
    returned_unit, senders = senders[0], senders[1:]
    members = {t.org_id: [o for o in orgs if o.org_id[:3] == t.org_id[:3]] for t in senders}
    sending = [o for t in senders for o in members[t.org_id]]
    # inflaters need room to inflate: orgs at least INFLATE_TO + 2 below full points
    room = [o for o in sending if _shortfall(rules[o.org_id]) >= INFLATE_TO + 2]
    inflated = {o.org_id for o in rng.sample(room, min(INFLATED, len(room)))}
    under = {o.org_id for o in rng.sample([o for o in sending if o.org_id not in inflated], UNDERCLAIMED)}
    titles = a.ruleset.titles
    out: list[_File] = []
    for i, top in enumerate(senders):
        fmt, by_id, style = _LAYOUTS[i % len(_LAYOUTS)]
        rows: list[Record] = []
        for o in members[top.org_id]:
            mode = "inflated" if o.org_id in inflated else "under" if o.org_id in under else "honest"
            for rule_id, score in _claims(rng, rules[o.org_id], mode).items():
                item = rule_id if by_id else titles[rule_id]
                rows.append({"org_id": o.org_id, "year": YEAR, "item": item, "score": score})
        ext = "csv" if fmt.startswith("csv") else fmt
        path = f"{YEAR}/自评/{top.unit}_{YEAR}年{SELF_SCORES.zh}.{ext}"
        columns = list(SELF_SCORES.names)
        out.append(
            _File(
                path, fmt, [_Sheet("self_scores", columns, rows, style, f"{YEAR}年" if ext == "xlsx" else "")]
            )
        )
    returned, n_rows = _returned(rng, a, [o for o in orgs if o.org_id[:3] == returned_unit.org_id[:3]])
    honest = tuple(sorted(o.org_id for o in sending if o.org_id not in inflated | under))
    return SelfScores(
        files=out,
        returned=returned,
        returned_path=RETURNED.format(unit=returned_unit.unit),
        returned_rows=n_rows,
        honest=honest,
        inflated=tuple(sorted(inflated)),
        underclaimed=tuple(sorted(under)),
    )


def _returned(rng: random.Random, a: Assessment, unit: list[_Org]) -> tuple[Assessment, int]:
    """The unit's part of the assessment as the unit returns it: 自查得分 = computed points, but one failed
    item of one org claimed at its full points.  Also the number of claims it holds."""
    ids = [o.org_id for o in unit]
    rules = a.rules.filter(pl.col("org_id").is_in(ids))
    failed = rules.filter(~pl.col("status").is_in(OUT_OF_SCOPE) & (pl.col("earned") < pl.col("points")))
    if failed.height:
        pick = failed.row(rng.randrange(failed.height), named=True)
        edited = (pl.col("org_id") == pick["org_id"]) & (pl.col("rule_id") == pick["rule_id"])
        rules = rules.with_columns(earned=pl.when(edited).then(pl.col("points")).otherwise(pl.col("earned")))
    scores = a.scores.filter(pl.col("org_id").is_in(ids))
    claims = rules.filter(~pl.col("status").is_in(OUT_OF_SCOPE)).height
    return replace(a, scores=scores, rules=rules), claims


def write_returned(root: Path, s: SelfScores, created: datetime = _CREATED) -> str:
    """Write the returned 自评分表.xlsx under ``root``; its path relative to ``root``."""
    path = root / s.returned_path
    path.parent.mkdir(parents=True, exist_ok=True)
    write_self_assessment(s.returned, path, created=created)
    return s.returned_path
