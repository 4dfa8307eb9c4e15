"""The context every measure reads: the store, the assessment year and as-of date, and the registry of
orgs prepared once (parent type, top level, term length), with the elections, terms and thresholds the
measures share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import polars as pl

from analysis import vocab
from analysis.rules.common import ORG, ORG_INDEX, _evidence
from analysis.rules.loader import Rule, Ruleset, RulesetError
from analysis.rules.registry import Measured, lookup
from analysis.store import Store


@dataclass
class Context:
    """The store, the assessment year and as-of date, and the registry prepared once for all measures.

    ``orgs`` is collected eagerly (one row per org, small next to the activity tables) with
    ``parent_type``, ``is_top`` and the term length each org serves, so every measure joins onto the
    same frame.  The big tables stay lazy.
    """

    store: Store
    ruleset: Ruleset
    year: int
    as_of: date

    @property
    def y0(self) -> date:
        return date(self.year, 1, 1)

    @property
    def y1(self) -> date:
        return date(self.year, 12, 31)

    @cached_property
    def orgs(self) -> pl.DataFrame:
        raw = self.store.table("orgs").collect()
        raw = raw.with_columns(
            pl.when(pl.col("parent_id").str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col("parent_id"))
            .alias("parent_id")
        )
        types = raw.select(pl.col(ORG).alias("parent_id"), pl.col("org_type").alias("parent_type"))
        terms = self.ruleset.terms
        years = {"term_years_used": _term_years(terms.years, terms.general_branch_under_committee_years)}
        if terms.before is not None:  # the lengths of terms begun before the lengths changed
            b = terms.before
            years["term_years_before"] = _term_years(b.years, b.general_branch_under_committee_years)
        return (
            raw.join(types, on="parent_id", how="left")
            .with_columns(is_top=pl.col("parent_id").is_null(), **years)
            .sort(ORG)
            .with_row_index(ORG_INDEX)
            .select(ORG, ORG_INDEX, pl.exclude(ORG, ORG_INDEX))
        )

    def with_orgs(
        self, agg: pl.LazyFrame, zeros: Iterable[str] = (), cols: Iterable[str] = ()
    ) -> pl.LazyFrame:
        """Left-join a per-org aggregate onto the registry; orgs without rows get 0 in ``zeros``."""
        return (
            self.registry(*cols)
            .join(agg, on=ORG, how="left")
            .with_columns(pl.col(z).fill_null(0) for z in zeros)
        )

    def registry(self, *cols: str) -> pl.LazyFrame:
        """Every registry org with the columns all results carry, plus registry columns ``cols``."""
        return self.orgs.lazy().select(ORG, ORG_INDEX, "org_type", "is_top", *cols)

    @cached_property
    def activities(self) -> pl.LazyFrame:
        return self.store.table("activities")

    def rows(self, kinds: Iterable[str], start: date | None, end: date) -> pl.LazyFrame:
        """Activity rows of the given kinds dated in ``[start, end]`` (both inclusive)."""
        cond = pl.col("kind").is_in(list(kinds)) & (pl.col("date") <= end)
        if start is not None:
            cond &= pl.col("date") >= start
        return self.activities.filter(cond)

    def registry_evidence(self) -> pl.LazyFrame:
        """The registry row of each org, for rules that read a registry value."""
        return _evidence(self.orgs.lazy(), "orgs")

    @property
    def term_columns(self) -> list[str]:
        """The registry's term-length columns: ``term_years_used``, and ``term_years_before`` when the
        ruleset's lengths changed on a date (``[terms.before]``)."""
        return ["term_years_used"] + (["term_years_before"] if self.ruleset.terms.before else [])

    @cached_property
    def elections(self) -> pl.DataFrame:
        """Elections held on or before the as-of date, one row per (org, date), with the length
        (``term_length``) and due date of the term each closes (previous election + that length, calendar
        months, clamped)."""
        same_org = pl.col(ORG) == pl.col(ORG).shift(1)
        e = (
            self.store.table("elections")
            .filter(pl.col("date") <= self.as_of)
            .group_by(ORG, "date")
            .agg(pl.col("approved").fill_null(False).any(), n=pl.len())  # n: source rows of the election
            .join(self.orgs.lazy().select(ORG, *self.term_columns), on=ORG, how="inner")
            .sort(ORG, "date")
            .with_columns(prev=pl.when(same_org).then(pl.col("date").shift(1)))
        )
        return e.with_columns(
            term_length=self.term_years(pl.col("prev")), due=self.term_end(pl.col("prev"))
        ).collect()

    def term_years(self, start: pl.Expr) -> pl.Expr:
        """The length in years of the org's term begun on ``start``: ``term_years_before`` when the
        ruleset's lengths changed after ``start`` (``[terms.before]``), else ``term_years_used``."""
        before = self.ruleset.terms.before
        if before is None:
            return pl.col("term_years_used")
        old = start < pl.lit(before.effective, pl.Date)
        return pl.when(old).then(pl.col("term_years_before")).otherwise(pl.col("term_years_used"))

    def term_end(self, start: pl.Expr) -> pl.Expr:
        """``start`` + the length of the org's term begun then (:meth:`term_years`) in calendar months
        (clamped to the month's end).

        One ``offset_by`` per term length in the registry (a handful), rather than an offset written out
        and parsed for every row."""
        years = sorted(
            {y for c in self.term_columns for y in self.orgs[c].unique().to_list() if y is not None}
        )
        length = self.term_years(start)
        out = pl.lit(None, pl.Date)
        for y in years:
            out = pl.when(length == y).then(start.dt.offset_by(f"{y * 12}mo")).otherwise(out)
        return out

    @cached_property
    def terms(self) -> pl.DataFrame:
        """Per org: the last election on record (≤ as-of), the length (``term_length``) and the due date
        of the current term."""
        last = self.elections.group_by(ORG).agg(last_election=pl.col("date").max())
        return (
            self.orgs.select(ORG, *self.term_columns)
            .join(last, on=ORG, how="left")
            .with_columns(
                term_length=self.term_years(pl.col("last_election")),
                term_due=self.term_end(pl.col("last_election")),
            )
        )

    def only_where(self, m: Measured, column: str, no: str) -> Measured:
        """``m`` kept for the orgs whose yes/no registry ``column`` says 是 (a rule that applies only where
        the registry says so: 党小组会 where the branch has 党小组); ``not_applicable`` with the text ``no``
        where it says 否; ``no_data`` where the cell is empty or no registry source carried the column.

        Neither kind of org earns or loses points (scoring leaves both out of the applicable points).

        Raises
        ------
        RulesetError
            ``column`` is not a yes/no column of the registry (a ruleset's ``only_where`` names it).
        """
        flags = [c.name for c in vocab.ORGS.columns if c.kind == "bool"]
        if column not in flags:
            raise RulesetError(
                f"规则集 {self.ruleset.name} 中 only_where 的「{column}」不是组织名册的是/否列（可用：{'、'.join(flags)}）"
            )
        zh = vocab.ORGS.column(column).zh
        if column in self.store.columns_present("orgs"):
            flag = self.orgs.lazy().select(ORG, pl.col(column).alias("_flag"))
            empty = f"组织名册中「{zh}」未填"
        else:
            flag = self.orgs.lazy().select(ORG, pl.lit(None, pl.Boolean).alias("_flag"))
            empty = f"数据集中没有「{vocab.ORGS.zh}」表的「{zh}」列"
        yes, unknown = pl.col("_flag").fill_null(False), pl.col("_flag").is_null()

        def kept(c: str, otherwise: pl.Expr) -> pl.Expr:
            return pl.when(yes).then(pl.col(c)).otherwise(otherwise).alias(c)

        frame = (
            m.frame.join(flag, on=ORG, how="left")
            .with_columns(
                kept("status", pl.when(unknown).then(pl.lit("no_data")).otherwise(pl.lit("not_applicable"))),
                kept("measured", pl.when(unknown).then(pl.lit(empty)).otherwise(pl.lit(no))),
                kept("required", pl.lit("")),
                kept("measured_value", pl.lit(None, pl.Float64)),
                kept("required_value", pl.lit(None, pl.Float64)),
                kept("ratio", pl.lit(0.0)),
                kept("evidence_rows", pl.lit(0, pl.Int64)),
            )
            .drop("_flag")
        )
        held = flag.filter(pl.col("_flag").fill_null(False)).select(ORG)
        return Measured(frame, m.evidence.join(held, on=ORG, how="semi"), m.warnings)

    def no_data(self, m: Measured, text: str) -> Measured:
        """``m`` with every org ``no_data`` (measured ``text``, no evidence): the dataset cannot tell."""
        frame = m.frame.with_columns(
            status=pl.lit("no_data"),
            measured=pl.lit(text),
            required=pl.lit(""),
            measured_value=pl.lit(None, pl.Float64),
            required_value=pl.lit(None, pl.Float64),
            ratio=pl.lit(0.0),
            evidence_rows=pl.lit(0, pl.Int64),
        )
        return Measured(frame, m.evidence.head(0), m.warnings)

    def never_recorded(self, rows: pl.LazyFrame) -> bool:
        """No row of ``rows`` (a filter of a store table) exists, on any date, for any org."""
        return rows.head(1).collect().height == 0

    def text_by_type(self, rule: Rule, render: Callable[[dict[str, float]], str]) -> pl.Expr:
        """A text that depends on nothing but the org type's thresholds (a rule's "required" text):
        ``render`` writes it once per org type from that type's thresholds (``{"count": 12.0}``), and
        each row looks it up by ``org_type`` — null for a type the rule sets no threshold for.  Writing
        it for each of 200,000 orgs would cost a string format per org and rule."""
        spec = lookup(rule.rule_id)
        maps = {k: rule.threshold_map(k) for k in (spec.thresholds if spec else ())}
        types = sorted({t for m in maps.values() for t in m})
        texts = {t: render({k: m[t] for k, m in maps.items() if t in m}) for t in types}
        return pl.col("org_type").replace_strict(texts, default=None, return_dtype=pl.String)

    def threshold(self, rule: Rule, key: str) -> pl.Expr:
        """The rule's threshold ``key`` for each row's ``org_type`` (null where the rule does not apply)."""
        mapping = rule.threshold_map(key)
        if not mapping:
            return pl.lit(None, pl.Float64)
        return pl.col("org_type").replace_strict(mapping, default=None, return_dtype=pl.Float64)


def _term_years(years: dict[str, int], under_committee: int) -> pl.Expr:
    """The term length of each registry org: its type's, or ``under_committee`` for a general branch
    under a committee whose registry says so (seed 一(2): 党委下属总支 4 年)."""
    base = pl.col("org_type").replace_strict(years, default=None, return_dtype=pl.Int64)
    longer = (
        (pl.col("org_type") == "general_branch")
        & (pl.col("parent_type") == "committee")
        & (pl.col("term_years") == under_committee)
    )
    return pl.when(longer).then(pl.lit(under_committee, pl.Int64)).otherwise(base)
