"""Mapping profiles: read another system's export layout without code changes.

A profile is a small TOML file (see ``data/profiles/*.toml`` for commented examples) that says which
source column feeds which canonical column, how the platform's words map onto our vocabularies, which
columns carry the organization hierarchy (so the registry can be derived), which columns to ignore,
extra date-time forms, and which files or sheets it applies to.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.vocab import (
    ACTIVITY_KIND_ALIASES,
    INCIDENT_KIND_ALIASES,
    ORG_TYPE_ALIASES,
    TABLES,
    Table,
    normalize_header,
)


class ProfileError(Exception):
    """A profile file is wrong; the message (Chinese) names the file and the key."""


@dataclass(frozen=True)
class Level:
    """One level of the org hierarchy carried on every row (top level first)."""

    code: str  #: source column holding the org code
    name: str | None  #: source column holding the org name
    org_type: str | None  #: a fixed org type id for this level ...
    type_column: str | None  #: ... or the source column holding it


@dataclass
class Profile:
    """One export layout."""

    path: Path
    name: str
    table: str
    columns: dict[str, str]  #: normalised source header -> canonical column
    headers: dict[str, str]  #: normalised source header -> header as written in the profile
    values: dict[str, dict[str, str]]  #: canonical column -> {source value: canonical id}
    yes_words: frozenset[str] = frozenset()
    no_words: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    date_formats: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  #: glob patterns on the file path; empty = any
    sheets: tuple[str, ...] = ()  #: glob patterns on the sheet name; empty = any
    hierarchy: tuple[Level, ...] = ()
    signature: frozenset[str] = field(default_factory=frozenset)

    def applies_to(self, file: str, sheet: str) -> bool:
        if self.files and not any(fnmatch.fnmatch(file, p) or fnmatch.fnmatch(Path(file).name, p) for p in self.files):
            return False
        return not (self.sheets and not any(fnmatch.fnmatch(sheet, p) for p in self.sheets))

    def matches_header(self, header: list[str]) -> bool:
        """The header row carries every signature column of the profile."""
        norm = {normalize_header(h) for h in header}
        return self.signature <= norm

    @property
    def hierarchy_columns(self) -> set[str]:
        out: set[str] = set()
        for lv in self.hierarchy:
            out.update(normalize_header(c) for c in (lv.code, lv.name, lv.type_column) if c)
        return out


_VOCAB_FOR_KIND = {
    "activity_kind": ACTIVITY_KIND_ALIASES,
    "incident_kind": INCIDENT_KIND_ALIASES,
    "org_type": ORG_TYPE_ALIASES,
}


def _err(path: Path, key: str, what: str) -> ProfileError:
    return ProfileError(f"映射配置 {path.name} 中 {key}：{what}")


def load_profile(path: str | Path) -> Profile:
    """Read and check a profile; raise :class:`ProfileError` naming the file and the key."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(f"找不到映射配置文件：{p}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"映射配置 {p.name} 不是有效的 TOML：{exc}") from exc

    meta: dict[str, Any] = raw.get("profile", {})
    table = meta.get("table", "activities")
    if table not in TABLES:
        raise _err(p, "profile.table", f"未知的数据表 {table!r}（可选：{'、'.join(TABLES)}）")
    t = TABLES[table]
    columns, headers = _columns(p, raw, t)
    values, yes, no = _values(p, raw, t)
    levels = _levels(p, raw)

    for req in t.required:
        if req not in columns.values() and not (req == "org_id" and levels):
            raise _err(p, "columns", f"没有任何源列映射到必填列 {req}（{t.column(req).zh}）")

    signature = meta.get("signature") or [headers[h] for h in columns][:3]
    return Profile(
        path=p,
        name=meta.get("name", p.stem),
        table=table,
        columns=columns,
        headers=headers,
        values=values,
        yes_words=frozenset(yes),
        no_words=frozenset(no),
        ignore=frozenset(normalize_header(c) for c in meta.get("ignore", raw.get("ignore", []))),
        date_formats=tuple(raw.get("date", {}).get("formats", [])),
        files=tuple(meta.get("files", [])),
        sheets=tuple(meta.get("sheets", [])),
        hierarchy=tuple(levels),
        signature=frozenset(normalize_header(s) for s in signature),
    )


def _columns(p: Path, raw: dict[str, Any], t: Table) -> tuple[dict[str, str], dict[str, str]]:
    """``[columns]``: normalised source header -> canonical column, and -> the header as written."""
    canon_names = set(t.names)
    columns: dict[str, str] = {}
    headers: dict[str, str] = {}
    for src, canon in raw.get("columns", {}).items():
        if not isinstance(canon, str) or canon not in canon_names:
            raise _err(p, f"columns.{src}", f"未知的标准列 {canon!r}（{t.zh}表可用：{'、'.join(t.names)}）")
        columns[normalize_header(src)] = canon
        headers[normalize_header(src)] = src
    return columns, headers


def _values(p: Path, raw: dict[str, Any], t: Table) -> tuple[dict[str, dict[str, str]], set[str], set[str]]:
    """``[values]``: each vocabulary column's source words -> canonical ids, and the yes / no words."""
    canon_names = set(t.names)
    values: dict[str, dict[str, str]] = {}
    yes: set[str] = set()
    no: set[str] = set()
    for canon, mapping in raw.get("values", {}).items():
        if not isinstance(mapping, dict):
            raise _err(p, f"values.{canon}", "应为“源取值 = 标准取值”的表")
        if canon == "yes_no":
            for word, flag in mapping.items():
                if not isinstance(flag, bool):
                    raise _err(p, f"values.yes_no.{word}", "应为 true 或 false")
                (yes if flag else no).add(str(word).strip().lower())
            continue
        if canon not in canon_names:
            raise _err(p, f"values.{canon}", f"未知的标准列 {canon!r}")
        vocab = _VOCAB_FOR_KIND.get(t.column(canon).kind)
        if vocab is None:
            raise _err(p, f"values.{canon}", "该列不是词表列（只有活动类型、否决事项类型、组织类型可以映射取值）")
        out: dict[str, str] = {}
        for word, target in mapping.items():
            target_id = vocab.get(str(target))
            if target_id is None:
                raise _err(p, f"values.{canon}.{word}", f"目标取值 {target!r} 不在规定词表中")
            out[str(word).strip()] = target_id
        values[canon] = out
    return values, yes, no


def _levels(p: Path, raw: dict[str, Any]) -> list[Level]:
    """``[[hierarchy]]``: the org levels carried on every row, top level first."""
    levels: list[Level] = []
    for i, lv in enumerate(raw.get("hierarchy", [])):
        key = f"hierarchy[{i}]"
        if "code" not in lv:
            raise _err(p, key, "缺少 code（组织编码所在列）")
        fixed = lv.get("type")
        if fixed is not None and ORG_TYPE_ALIASES.get(str(fixed)) is None:
            raise _err(p, f"{key}.type", f"未知的组织类型 {fixed!r}")
        if fixed is None and "type_column" not in lv:
            raise _err(p, key, "需要 type（固定组织类型）或 type_column（组织类型所在列）")
        levels.append(
            Level(
                code=lv["code"],
                name=lv.get("name"),
                org_type=ORG_TYPE_ALIASES.get(str(fixed)) if fixed is not None else None,
                type_column=lv.get("type_column"),
            )
        )
    return levels


def load_profiles(paths: list[str | Path] | None) -> list[Profile]:
    """Profiles from files or folders of ``*.toml``."""
    out: list[Profile] = []
    for p in paths or []:
        p = Path(p)
        files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
        out.extend(load_profile(f) for f in files)
    return out
