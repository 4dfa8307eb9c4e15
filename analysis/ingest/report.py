"""`workbench profile check`: show, column by column, how a profile maps a sample file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analysis.ingest.profiles import Profile
from analysis.ingest.readers import FileRefused, Limits, read_file
from analysis.ingest.validate import parse_sheet, recognise
from analysis.vocab import TABLES, normalize_header, reason


@dataclass
class MappingReport:
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    ok: bool = True


def profile_mapping(profile: Profile, sample: Path, limits: Limits | None = None) -> MappingReport:
    """Map every sheet of ``sample`` with ``profile`` alone and describe the result in Chinese."""
    limits = limits or Limits()
    out = MappingReport()
    try:
        sheets = read_file(sample, limits)
    except FileRefused as exc:
        out.ok = False
        out.messages.append(f"样例文件无法读取：{reason(exc.code, exc.detail)[0]}")
        return out
    table = TABLES[profile.table]
    hierarchy = {}
    for i, lv in enumerate(profile.hierarchy):
        for col, what in ((lv.code, "编码"), (lv.name, "名称"), (lv.type_column, "类型")):
            if col:
                hierarchy[normalize_header(col)] = f"第{i + 1}级组织{what}（生成组织名册）"
    matched_any = False
    for sheet in sheets:
        if sheet.data.height == 0:
            continue
        label = sheet.sheet or sample.name
        try:
            rec = recognise(sheet, limits, sample.name, [profile])
        except FileRefused as exc:
            out.messages.append(f"[{label}] {reason(exc.code, exc.detail)[0]}")
            continue
        if rec.profile is None:
            out.messages.append(f"[{label}] 表头与映射配置不符：未同时找到特征列 {'、'.join(sorted(profile.signature))}")
            continue
        matched_any = True
        first = _first_data_row(sheet, rec.header_index)
        canon_by_src = {src: canon for canon, src in rec.mapping.items()}
        for src, header in rec.source_names.items():
            h = normalize_header(header)
            canon = canon_by_src.get(src)
            if canon is not None:
                col = table.column(canon)
                target, note = f"{col.zh}（{canon}）", "必填" if col.required else ""
                if canon in profile.values:
                    note = (note + "；" if note else "") + f"取值映射 {len(profile.values[canon])} 项"
            elif h in hierarchy:
                target, note = "—", hierarchy[h]
            elif h in profile.ignore:
                target, note = "—", "按配置忽略"
            else:
                target, note = "—", "未映射（不读入）"
            if h in hierarchy and canon is not None:
                note = (note + "；" if note else "") + hierarchy[h]
            out.rows.append((label, header, target, note, first.get(src, "")))
        parsed = parse_sheet(sheet, rec, sample.name)
        out.messages.append(
            f"[{label}] 试读 {parsed.rows_read} 行：可保留 {parsed.rows_read - parsed.rows_refused} 行，"
            f"拒收 {parsed.rows_refused} 行"
            + (f"；可生成组织 {parsed.derived_orgs['org_id'].n_unique()} 个" if parsed.derived_orgs is not None else "")
        )
        for r in parsed.rejects.head(5).iter_rows(named=True):
            out.messages.append(f"    第{r['_row']}行 {r['reason_zh']}：{r['value']}")
    if not matched_any:
        out.ok = False
    return out


def _first_data_row(sheet, header_index: int | None) -> dict[str, str]:
    start = 0 if header_index is None else header_index + 1
    body = sheet.data.slice(start, 1)
    if body.height == 0:
        return {}
    return {k: "" if v is None else str(v) for k, v in body.row(0, named=True).items()}
