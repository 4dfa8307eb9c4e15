"""Ruleset files: reading, merging a rubric override, and validating against the measure registry.

A ruleset is data (``shared/spec/RULES.md``): which measure each rule uses, its threshold per org type,
its windows, and its rubric item.  Everything a later stage needs to judge an org (grades, veto,
weak-branch and selection settings) lives in the same file, so changing a number never means changing
code.  Validation happens once, when the file is loaded, and every problem is reported in Chinese with
the file and the dotted key at fault (``规则文件 x.toml 中 rules.edu.dues.threshold.branch 缺失``), because
the people who edit these files are party-work staff, not programmers.
"""

from __future__ import annotations

import calendar
import re
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from analysis import vocab
from analysis.rules.registry import REGISTRY, REQUIRED, MeasureSpec, ParamSpec, lookup

OrgType = Literal["committee", "general_branch", "branch"]
ORG_TYPES: tuple[str, ...] = tuple(vocab.ORG_TYPE_ZH)
Method = Literal["binary", "ratio", "deduct", "inspection"]

#: how each rubric method is described to users (自评分表 评分方法 column)
METHOD_ZH = {
    "binary": "达标得满分，未达标不得分",
    "ratio": "按完成比例计分",
    "deduct": "按差额扣分",
    "inspection": "按督查评分计分",
}
_TOTAL_POINTS = 100.0


class RulesetError(ValueError):
    """A ruleset or rubric file cannot be used; the message names the file and the key, in Chinese."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------------------------------------
# Windows: "Y-01-01" .. "Y+1-01-31", relative to the assessment year.
# ---------------------------------------------------------------------------------------------
_WINDOW_RE = re.compile(r"^Y(?P<off>[+-]\d+)?-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")


def _parse_anchor(text: str) -> tuple[int, int, int]:
    """Parse ``Y[+-n]-MM-DD`` into (year offset, month, day); raise a Chinese message when invalid."""
    m = _WINDOW_RE.match(text.strip())
    if not m:
        raise PydanticCustomError("window", "「{v}」不是有效的日期，应写作 Y-01-01 或 Y+1-01-31", {"v": text})
    off, month, day = int(m["off"] or 0), int(m["m"]), int(m["d"])
    if not 1 <= month <= 12:
        raise PydanticCustomError("window", "「{v}」中的月份 {m} 无效（应为 1-12）", {"v": text, "m": month})
    # February may say 29: it is clamped to the month's last day in common years.
    last = 29 if month == 2 else calendar.monthrange(2001, month)[1]
    if not 1 <= day <= last:
        raise PydanticCustomError(
            "window",
            "「{v}」中的日 {d} 无效（{m} 月最多 {n} 日）",
            {"v": text, "d": day, "m": month, "n": last},
        )
    return off, month, day


def _resolve(anchor: tuple[int, int, int], year: int) -> date:
    off, month, day = anchor
    y = year + off
    return date(y, month, min(day, calendar.monthrange(y, month)[1]))


class Window(_Model):
    """An inclusive date window relative to the assessment year ``Y``."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _check_anchor(cls, v: str) -> str:
        _parse_anchor(v)
        return v

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, v: str, info: Any) -> str:
        start = info.data.get("start")
        if start is not None and _parse_anchor(v) < _parse_anchor(start):
            raise PydanticCustomError("window", "结束日期 {e} 早于开始日期 {s}", {"e": v, "s": start})
        return v

    def bounds(self, year: int) -> tuple[date, date]:
        """The window's first and last day (both inclusive) for assessment year ``year``."""
        return _resolve(_parse_anchor(self.start), year), _resolve(_parse_anchor(self.end), year)


# ---------------------------------------------------------------------------------------------
# Models.
# ---------------------------------------------------------------------------------------------
class Rubric(_Model):
    """One rubric item of the 自评分表: its points and how they are earned."""

    points: float = Field(ge=0)
    method: Method
    #: points taken off per unit of a shortfall the measure counts (e.g. ``unrecorded = 1``)
    deduct: dict[str, float] = Field(default_factory=dict)
    #: deduct method: points taken off per unit the measured value falls short of the requirement
    per_unit: float = Field(default=1.0, ge=0)

    def describe(self) -> str:
        """The method in words for the 评分方法 column."""
        text = METHOD_ZH[self.method]
        if self.method == "deduct":
            text += f"：每差 1 扣 {_num(self.per_unit)} 分"
        for name, per in sorted(self.deduct.items()):
            text += f"；{DEDUCTION_ZH.get(name, name)}每项扣 {_num(per)} 分"
        if self.deduct or self.method == "deduct":
            text += "，扣完为止"
        return text


#: the shortfalls a measure can count, in words
DEDUCTION_ZH = {"unrecorded": "未记录", "unpublished": "未公示"}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class Rule(_Model):
    """One rule: its clause, who it applies to, its thresholds and windows, and its rubric item.

    ``rule_id``, ``category``, ``points``, ``method`` and ``title_zh`` are what other stages read
    (``Assessment.ruleset.items``, docs/CONTRACTS.md).
    """

    rule_id: str
    clause: str
    title_zh: str = Field(alias="title")
    category: str
    applies_to: tuple[OrgType, ...]
    top_level_only: bool = False
    standard: str = ""
    threshold: dict[OrgType, float | dict[str, float]] = Field(default_factory=dict)
    windows: dict[str, Window] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    rubric: Rubric

    @property
    def points(self) -> float:
        return self.rubric.points

    @property
    def method(self) -> str:
        return self.rubric.method

    def threshold_map(self, key: str) -> dict[str, float]:
        """Threshold ``key`` per org type (a bare number in the file is the rule's only threshold)."""
        out: dict[str, float] = {}
        for org_type, v in self.threshold.items():
            out[org_type] = float(v[key]) if isinstance(v, dict) else float(v)
        return out


class TermsBefore(_Model):
    """The term lengths of terms begun before ``effective`` (national-2019: 任期意见一, a term begun
    under the old rules runs its old length; only the next term has the new one)."""

    effective: date
    years: dict[OrgType, int]
    general_branch_under_committee_years: int = Field(gt=0)


class Terms(_Model):
    """Term lengths [seed 一(2)]: used by the term rules and by a term-period veto."""

    years: dict[OrgType, int]
    #: a general branch under a committee may serve this many years when its registry says so
    general_branch_under_committee_years: int = Field(gt=0)
    #: the lengths of terms begun before a date the lengths changed on (none: one set of lengths)
    before: TermsBefore | None = None


class Grades(_Model):
    excellent: float
    good: float
    qualified: float


class Veto(_Model):
    kinds: tuple[str, ...]
    propagate_to_ancestors: bool
    #: "year": incidents dated in the assessment year; "term": in the org's current term up to as-of
    period: Literal["year", "term"]


class Weak(_Model):
    """Weak-branch (后进/软弱涣散) thresholds, read by the selection stage."""

    fail_rules: int = Field(ge=1)
    half_count_rules: tuple[str, ...]
    half_count_share: float = Field(gt=0, le=1)
    secretary_rule: str
    peer_min_siblings: int = Field(ge=1)
    peer_gap: float = Field(gt=0)
    decline_years: int = Field(ge=1)
    #: the hard reasons that make an org 整顿 (the others 关注) [default]; codes of vocab.WEAK_REASON_ZH
    rectify_reasons: tuple[str, ...] = ("vetoed", "failing_grade", "secretary_vacant", "few_meetings")
    #: at most this share of all orgs in 整顿 (the rest of them 关注); absent = no cap
    rectify_share: float | None = Field(default=None, gt=0, le=1)


class Selection(_Model):
    """Advanced-organisation (先进基层党组织) selection defaults, read by the selection stage."""

    quota: float = Field(gt=0)
    quota_kind: Literal["share", "count"]
    quota_scope: Literal["overall", "org_type"]
    exclude_weak: bool
    mc_draws: int = Field(ge=1)
    mc_weight_sd: float = Field(ge=0)
    seed: int


class Workers(_Model):
    """Excellent party-affairs workers (优秀党务工作者) defaults, read by ``decisions/workers.py``.

    Optional in a ruleset file: a ruleset written before the workers table existed keeps loading with
    these defaults (RULES.md, "Excellent party-affairs workers").
    """

    quota: float = Field(default=0.10, gt=0)
    quota_kind: Literal["share", "count"] = "share"
    quota_scope: Literal["overall", "org_type"] = "overall"
    exclude_weak: bool = True
    min_months: int = Field(default=12, ge=0)
    #: the rule whose ``days`` threshold a worker must meet personally
    study_rule: str = "edu.member_study_days"


class Meta(_Model):
    name: str
    title: str
    source: str = ""


class Ruleset(_Model):
    """A validated ruleset.  ``items`` are the rules in file order (the rubric's order)."""

    meta: Meta = Field(alias="ruleset")
    categories: dict[str, float]
    terms: Terms
    grades: Grades
    veto: Veto
    weak: Weak
    selection: Selection
    workers: Workers = Field(default_factory=Workers)
    rules: dict[str, Rule]
    path: str = ""

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def items(self) -> tuple[Rule, ...]:
        return tuple(self.rules.values())

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    @property
    def titles(self) -> dict[str, str]:
        """Rule id → the item's Chinese name (``title_zh``, e.g. 三会一课): what people read wherever a
        rule is named; the id stays for tools."""
        return {r.rule_id: r.title_zh for r in self.items}

    def item_names(self, rule_ids: str | None, sep: str = "、") -> str:
        """Rule ids as ``failed_rules`` writes them (``edu.monthly_study;org.annual_plan``) as the items'
        Chinese names in rubric order (``年度计划和总结、每月集中学习``); a term-wide id
        (``任期:edu.cadre_training``) reads ``任期：届内党务干部培训``.  An id the ruleset does not know
        is kept as it is."""
        order = {r.rule_id: i for i, r in enumerate(self.items)}
        names: list[tuple[int, str]] = []
        for rid in filter(None, (rule_ids or "").split(";")):
            prefix, _, base = rid.rpartition(":")
            title = self.rules[base].title_zh if base in self.rules else base
            names.append((order.get(base, len(order)), f"{prefix}：{title}" if prefix else title))
        return sep.join(n for _, n in sorted(names))

    def with_points(self, points: dict[str, float]) -> Ruleset:
        """A copy with some rubric points replaced (for re-weighting, e.g. a robustness check).

        The copy is not re-validated: its points need not sum to 100, and scores rescale anyway.
        """
        rules = {
            rid: r.model_copy(update={"rubric": r.rubric.model_copy(update={"points": float(points[rid])})})
            if rid in points
            else r
            for rid, r in self.rules.items()
        }
        return self.model_copy(update={"rules": rules})


# ---------------------------------------------------------------------------------------------
# Loading.
# ---------------------------------------------------------------------------------------------
def builtin_rulesets() -> list[str]:
    """Names of the rulesets shipped in the package."""
    return sorted(
        p.name[:-5] for p in resources.files("analysis.rules").iterdir() if p.name.endswith(".toml")
    )


def _resolve_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise RulesetError(f"找不到规则文件：{p}")
        return p
    res = resources.files("analysis.rules") / f"{name_or_path}.toml"
    if not res.is_file():
        known = "、".join(builtin_rulesets())
        raise RulesetError(
            f"找不到规则集「{name_or_path}」（内置规则集：{known}；也可以给出 .toml 文件路径）"
        )
    return Path(str(res))


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"{what} {path.name} 不是有效的 TOML：{exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError(f"无法读取{what} {path}：{exc}") from exc


def _flatten_ids(table: Any, label: str, key: str) -> dict[str, Any]:
    """``[rules.org.term_election]`` (nested) and ``[rules."org.term_election"]`` both give id
    ``org.term_election``."""
    if not isinstance(table, dict):
        raise RulesetError(f"{label} 中 {key} 应为表（[{key}.<类别>.<名称>]）")
    out: dict[str, Any] = {}
    for group, body in table.items():
        if "." in group:
            out[group] = body
            continue
        if not isinstance(body, dict) or not body or not all(isinstance(v, dict) for v in body.values()):
            raise RulesetError(
                f"{label} 中 {key}.{group} 应写作 [{key}.{group}.<名称>]，规则编号形如 org.term_election"
            )
        for name, sub in body.items():
            out[f"{group}.{name}"] = sub
    return out


_PYDANTIC_ZH = {
    "missing": "缺失",
    "extra_forbidden": "不是已知的设置项",
    "literal_error": "取值无效",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "dict_type": "应为表",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
}
#: parts of a pydantic error location that are not keys of the file (union members, dict keys)
_NOT_A_KEY = re.compile(r"^(float|int|str|bool|dict\[.*\]|list\[.*\]|tuple\[.*\]|\[key\])$")


def _zh_errors(exc: ValidationError, label: str) -> RulesetError:
    """One Chinese line per key at fault (a value that fits no member of a union is one fault)."""
    lines: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if not _NOT_A_KEY.match(str(p)))
        kind = err["type"]
        if kind == "window":
            msg = err["msg"]
        elif kind in _PYDANTIC_ZH:
            msg = _PYDANTIC_ZH[kind].format(**err.get("ctx", {}))
            if kind == "literal_error":
                msg += f"（可用：{err.get('ctx', {}).get('expected', '')}；实际为 {err.get('input')!r}）"
            elif kind not in ("missing", "extra_forbidden"):
                msg += f"（实际为 {err.get('input')!r}）"
        else:
            msg = f"取值无效：{err.get('input')!r}（{err['msg']}）"
        lines.setdefault(key, f"{label} 中 {key} {msg}")
    return RulesetError("\n".join(lines.values()))


def load_ruleset(name_or_path: str | Path = "changzhou-2009", rubric: str | Path | None = None) -> Ruleset:
    """Load and validate a ruleset, optionally overriding its rubric from a separate TOML.

    Parameters
    ----------
    name_or_path
        A built-in name (``"changzhou-2009"``) or the path of a ruleset TOML.
    rubric
        Optional path of a rubric TOML: ``[rubric.<group>.<name>]`` tables with ``points``/``method``/...
        replacing those keys of the named rules, and an optional ``[categories]`` table.  The merged
        ruleset is validated as a whole (points must still sum to 100).

    Returns
    -------
    Ruleset

    Raises
    ------
    RulesetError
        With a Chinese message naming the file and the key at fault.
    """
    path = _resolve_path(name_or_path)
    label = f"规则文件 {path.name}"
    raw = _read_toml(path, "规则文件")
    raw["rules"] = _flatten_ids(raw.get("rules", {}), label, "rules")
    if rubric is not None:
        rpath = Path(rubric)
        if not rpath.is_file():
            raise RulesetError(f"找不到评分表文件：{rpath}")
        rlabel = f"评分表 {rpath.name}"
        rraw = _read_toml(rpath, "评分表")
        unknown = set(rraw) - {"rubric", "categories"}
        if unknown:
            raise RulesetError(
                f"{rlabel} 中 {sorted(unknown)[0]} 不是已知的设置项（可用：rubric、categories）"
            )
        for rid, over in _flatten_ids(rraw.get("rubric", {}), rlabel, "rubric").items():
            if rid not in raw["rules"]:
                raise RulesetError(f"{rlabel} 中 rubric.{rid} 不是规则文件 {path.name} 中的规则")
            if not isinstance(over, dict):
                raise RulesetError(f"{rlabel} 中 rubric.{rid} 应为表")
            base = raw["rules"][rid].get("rubric", {}) if isinstance(raw["rules"][rid], dict) else {}
            raw["rules"][rid] = {**raw["rules"][rid], "rubric": {**base, **over}}
        if "categories" in rraw:
            raw["categories"] = rraw["categories"]
        label = f"{label}（含{rlabel}）"
    for rid, body in raw["rules"].items():
        if isinstance(body, dict):
            body.setdefault("rule_id", rid)
    raw["path"] = str(path)
    try:
        ruleset = Ruleset.model_validate(raw)
    except ValidationError as exc:
        raise _zh_errors(exc, label) from None
    return _check(ruleset, label)


# ---------------------------------------------------------------------------------------------
# Checks that need the measure registry or the whole file.
# ---------------------------------------------------------------------------------------------
def _check(rs: Ruleset, label: str) -> Ruleset:
    rules: dict[str, Rule] = {}
    for rid, rule in rs.rules.items():
        key = f"rules.{rid}"
        spec = lookup(rid)
        if spec is None:
            raise RulesetError(
                f"{label} 中 {key} 没有对应的计算方法（未注册的规则编号；已注册：{'、'.join(sorted(REGISTRY))}）"
            )
        if rule.category not in rs.categories:
            raise RulesetError(f"{label} 中 {key}.category「{rule.category}」不在 categories 中")
        if not rule.applies_to:
            raise RulesetError(f"{label} 中 {key}.applies_to 为空")
        _check_thresholds(rule, spec, label, key)
        for w in spec.windows:
            if w not in rule.windows:
                raise RulesetError(f"{label} 中 {key}.windows.{w} 缺失")
        for w in rule.windows:
            if w not in spec.windows:
                raise RulesetError(f"{label} 中 {key}.windows.{w} 不是该规则使用的时段")
        params = _check_params(rule, spec, label, key)
        if rule.method not in spec.methods:
            raise RulesetError(
                f"{label} 中 {key}.rubric.method「{rule.method}」不适用于该规则（可用：{'、'.join(spec.methods)}）"
            )
        for d in rule.rubric.deduct:
            if d not in spec.deductions:
                avail = "、".join(spec.deductions) or "无"
                raise RulesetError(
                    f"{label} 中 {key}.rubric.deduct.{d} 不是该规则能扣分的项目（可用：{avail}）"
                )
        rules[rid] = rule.model_copy(update={"params": params})
    # the rubric's order: categories in file order, rules in file order within each
    cat_index = {c: i for i, c in enumerate(rs.categories)}
    rules = dict(sorted(rules.items(), key=lambda kv: cat_index[kv[1].category]))

    total = sum(r.points for r in rules.values())
    if abs(total - _TOTAL_POINTS) > 1e-6:
        raise RulesetError(f"{label} 中各规则 rubric.points 合计为 {_num(round(total, 6))}，应为 100")
    for cat, pts in rs.categories.items():
        got = sum(r.points for r in rules.values() if r.category == cat)
        if abs(got - pts) > 1e-6:
            raise RulesetError(
                f"{label} 中 categories.{cat} 为 {_num(pts)}，但该类各规则分值合计 {_num(round(got, 6))}"
            )
    tables = {"terms": rs.terms} | ({"terms.before": rs.terms.before} if rs.terms.before else {})
    for where, terms in tables.items():
        for t in ORG_TYPES:
            if t not in terms.years:
                raise RulesetError(f"{label} 中 {where}.years.{t} 缺失")
            if terms.years[t] <= 0:
                raise RulesetError(f"{label} 中 {where}.years.{t} 必须大于 0")
    g = rs.grades
    if not g.excellent >= g.good >= g.qualified:
        raise RulesetError(f"{label} 中 grades 应满足 excellent ≥ good ≥ qualified")
    for k in rs.veto.kinds:
        if k not in vocab.INCIDENT_KIND_ZH:
            raise RulesetError(
                f"{label} 中 veto.kinds 含未知的否决事项「{k}」（可用：{'、'.join(vocab.INCIDENT_KIND_ZH)}）"
            )
    unknown = [c for c in rs.weak.rectify_reasons if c not in vocab.WEAK_REASON_ZH]
    if unknown:
        raise RulesetError(f"{label} 中 weak.rectify_reasons 含未知的原因「{'、'.join(unknown)}」（可用：{'、'.join(vocab.WEAK_REASON_ZH)}）")
    for rid in (*rs.weak.half_count_rules, rs.weak.secretary_rule):
        if rid not in rules:
            raise RulesetError(f"{label} 中 weak 引用的规则 {rid} 不在 rules 中")
    if rs.selection.quota_kind == "share" and rs.selection.quota > 1:
        raise RulesetError(f"{label} 中 selection.quota 按比例时不能大于 1")
    if rs.workers.quota_kind == "share" and rs.workers.quota > 1:
        raise RulesetError(f"{label} 中 workers.quota 按比例时不能大于 1")
    if rs.workers.study_rule not in rules and rs.workers.study_rule != Workers().study_rule:
        raise RulesetError(f"{label} 中 workers.study_rule 引用的规则 {rs.workers.study_rule} 不在 rules 中")
    return rs.model_copy(update={"rules": rules})


def _check_thresholds(rule: Rule, spec: MeasureSpec, label: str, key: str) -> None:
    if not spec.thresholds:
        if rule.threshold:
            raise RulesetError(f"{label} 中 {key}.threshold 不适用于该规则（该规则没有数值门槛）")
        return
    for org_type in rule.applies_to:
        k = f"{key}.threshold.{org_type}"
        if org_type not in rule.threshold:
            raise RulesetError(f"{label} 中 {k} 缺失")
        value = rule.threshold[org_type]
        if isinstance(value, dict):
            for name in spec.thresholds:
                if name not in value:
                    raise RulesetError(f"{label} 中 {k}.{name} 缺失")
            for name, v in value.items():
                if name not in spec.thresholds:
                    raise RulesetError(
                        f"{label} 中 {k}.{name} 不是已知的设置项（可用：{'、'.join(spec.thresholds)}）"
                    )
                if v < 0:
                    raise RulesetError(f"{label} 中 {k}.{name} 不能为负数")
        else:
            if len(spec.thresholds) > 1:
                names = "、".join(spec.thresholds)
                raise RulesetError(f"{label} 中 {k} 应为表，包含 {names}")
            if value < 0:
                raise RulesetError(f"{label} 中 {k} 不能为负数")


def _check_params(rule: Rule, spec: MeasureSpec, label: str, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in rule.params:
        if name not in spec.params:
            avail = "、".join(spec.params) or "无"
            raise RulesetError(f"{label} 中 {key}.params.{name} 不是已知的设置项（可用：{avail}）")
    for name, ps in spec.params.items():
        k = f"{key}.params.{name}"
        if name not in rule.params:
            if ps.default is REQUIRED:
                raise RulesetError(f"{label} 中 {k} 缺失")
            out[name] = ps.default
            continue
        out[name] = _check_param(rule.params[name], ps, f"{label} 中 {k}")
    return out


def _check_param(v: Any, ps: ParamSpec, where: str) -> Any:
    kind = ps.kind
    if kind == "int":
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise RulesetError(f"{where} 应为非负整数，实际为 {v!r}")
    elif kind == "share":
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
            raise RulesetError(f"{where} 应为 0 到 1 之间的数，实际为 {v!r}")
        v = float(v)
    elif kind == "months":
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0 or 12 % v:
            raise RulesetError(f"{where} 应为能整除 12 的月数（1、2、3、4、6、12），实际为 {v!r}")
    elif kind == "bool":
        if not isinstance(v, bool):
            raise RulesetError(f"{where} 应为 true 或 false，实际为 {v!r}")
    elif kind == "text":
        if not isinstance(v, str):
            raise RulesetError(f"{where} 应为文字，实际为 {v!r}")
    elif kind == "texts":
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            raise RulesetError(f"{where} 应为非空的文字列表，实际为 {v!r}")
        v = tuple(v)
    elif kind == "kinds":
        if not isinstance(v, list) or not v:
            raise RulesetError(f"{where} 应为非空的活动类型列表")
        for x in v:
            if x not in vocab.ACTIVITY_KIND_ZH:
                raise RulesetError(
                    f"{where} 含未知的活动类型「{x}」（可用：{'、'.join(vocab.ACTIVITY_KIND_ZH)}）"
                )
        v = tuple(v)
    else:  # pragma: no cover - a programming error in a MeasureSpec
        raise AssertionError(kind)
    return v
