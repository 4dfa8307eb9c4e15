"""Mapping profiles: the shipped examples on files built here, a derived registry, conflicts, errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.ingest import ingest
from analysis.ingest.profiles import ProfileError, load_profile
from analysis.store import Store

from .test_ingest import write_xlsx

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = ROOT / "data" / "profiles" / "platform-meetings.toml"
ENGLISH = ROOT / "data" / "profiles" / "english-activity-log.toml"

PLATFORM_HEADER = ["上级党组织编码", "上级党组织名称", "党支部编码", "党支部名称", "会议类型", "计划会议时间", "实际会议时间", "应到人数", "实到人数"]


def platform_rows() -> list[list[object]]:
    return [
        PLATFORM_HEADER,
        ["000100", "市税务局机关党委", "000101", "第一党支部", "支部委员会", "2024/3/1  09:00", "2024/3/2  14:30", 9, 8],
        ["000100", "市税务局机关党委", "000101", "第一党支部", "主题党日活动", "2024/4/1  09:00", "2024/4/3  09:00", 9, 9],
        ["000100", "市税务局机关党委", "000102", "第二党支部", "支部党员大会", "2024/5/1  09:00", "2024/5/6  15:00", 12, 11],
        ["000100", "市税务局机关党委", "000102", "第二党支部", "茶话会", "2024/5/1  09:00", "2024/5/7  15:00", 12, 11],
    ]


def test_platform_profile_derives_a_two_level_registry_and_keeps_other_rows(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_xlsx(data / "会议记录导出.xlsx", platform_rows(), sheet="会议", title="2024年会议记录")
    result = ingest([data], store=tmp_path / "s", profiles=[load_profile(PLATFORM)])
    st = Store.open(tmp_path / "s")
    orgs = st.table("orgs").collect().sort("org_id")
    assert orgs.select("org_id", "name", "org_type", "parent_id").rows() == [
        ("000100", "市税务局机关党委", "committee", None),
        ("000101", "第一党支部", "branch", "000100"),
        ("000102", "第二党支部", "branch", "000100"),
    ]
    acts = st.table("activities").collect().sort("_row")
    assert acts.select("org_id", "date", "kind", "attendees", "_row").rows() == [
        ("000101", dt.date(2024, 3, 2), "committee_meeting", 8, 3),
        ("000101", dt.date(2024, 4, 3), "themed_party_day", 9, 4),
        ("000102", dt.date(2024, 5, 6), "member_congress", 11, 5),
    ]
    # an unmapped platform word is refused with its reason; the other rows are kept
    assert st.rejects().select("_row", "column", "value", "reason_code").rows() == [(6, "kind", "茶话会", "unknown_kind")]
    assert result.totals["rows_read"] == 4 and result.totals["rows_kept"] == 3
    # the derived registry has no secretary column: those rules will be no_data
    assert "secretary" not in st.columns_present("orgs")


def test_english_profile_with_type_columns_and_day_first_dates(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "log.csv").write_text(
        "Parent Code,Parent Name,Parent Type,Branch Code,Branch Name,Branch Type,Activity,Held On,Participants,Minutes Taken,Remarks\n"
        "000200,Finance Committee,committee,000210,General Branch A,general_branch,Branch Committee Meeting,05/03/2024,7,Y,ok\n"
        "000200,Finance Committee,committee,000210,General Branch A,general_branch,Party Lecture,06/03/2024 10:00,20,N,\n",
        encoding="utf-8",
    )
    ingest([data], store=tmp_path / "s", profiles=[load_profile(ENGLISH)])
    st = Store.open(tmp_path / "s")
    assert st.table("orgs").collect().sort("org_id").select("org_id", "org_type", "parent_id").rows() == [
        ("000200", "committee", None),
        ("000210", "general_branch", "000200"),
    ]
    assert st.table("activities").collect().sort("date").select("date", "kind", "recorded").rows() == [
        (dt.date(2024, 3, 5), "committee_meeting", True),
        (dt.date(2024, 3, 6), "party_lecture", False),
    ]


def test_derived_orgs_conflicting_with_the_registry_are_reported(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(
        "组织编码,组织名称,组织类型,上级组织编码,书记\n000100,市税务局机关党委,党委,,王五\n000101,一支部,党支部,000100,赵六\n",
        encoding="utf-8",
    )
    write_xlsx(data / "会议记录导出.xlsx", platform_rows()[:3])
    result = ingest([data], store=tmp_path / "s", profiles=[load_profile(PLATFORM)])
    st = Store.open(tmp_path / "s")
    assert st.conflicts().select("org_id", "field", "registry_value", "derived_value", "_row").rows() == [
        ("000101", "name", "一支部", "第一党支部", 2),
        ("000101", "name", "一支部", "第一党支部", 3),
    ]
    assert result.conflicts.height == 2
    # the registry stands
    assert st.table("orgs").collect().sort("org_id")["name"].to_list() == ["市税务局机关党委", "一支部"]


def test_profile_is_matched_by_header_signature_among_several(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_xlsx(data / "meetings-export.xlsx", platform_rows()[:2])
    ingest([data], store=tmp_path / "s", profiles=[load_profile(ENGLISH), load_profile(PLATFORM)])
    assert Store.open(tmp_path / "s").table("activities").collect()["kind"].to_list() == ["committee_meeting"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profile]\ntable = "activities"\n[columns]\n"会议类型" = "meeting_kind"\n"日期" = "date"\n"编码" = "org_id"\n',
         "映射配置 bad.toml 中 columns.会议类型：未知的标准列 'meeting_kind'"),
        ('[columns]\n"类型" = "kind"\n"日期" = "date"\n"编码" = "org_id"\n[values.kind]\n"支委会议" = "breakfast"\n',
         "映射配置 bad.toml 中 values.kind.支委会议：目标取值 'breakfast' 不在规定词表中"),
        ('[profile]\ntable = "meetings"\n', "映射配置 bad.toml 中 profile.table：未知的数据表 'meetings'"),
        ('[columns]\n"类型" = "kind"\n', "映射配置 bad.toml 中 columns：没有任何源列映射到必填列 org_id"),
        ("[columns\n", "映射配置 bad.toml 不是有效的 TOML"),
    ],
)
def test_bad_profiles_give_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(f)
    assert str(err.value).startswith(message)


def test_profile_check_command_shows_the_mapping(tmp_path: Path) -> None:
    sample = tmp_path / "会议记录导出.xlsx"
    write_xlsx(sample, platform_rows())
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "profile", "check", str(PLATFORM), str(sample)],
        capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}, check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "映射配置“智慧党建平台·会议记录”有效" in out
    assert "活动类型（kind）" in out and "第2级组织编码（生成组织名册）" in out and "按配置忽略" in out
    assert "试读 4 行：可保留 3 行，拒收 1 行；可生成组织 3 个" in out
    assert "茶话会" in out


def test_profile_check_reports_a_bad_profile_without_traceback(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[columns]\n"x" = "nope"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "analysis", "profile", "check", str(f)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "未知的标准列 'nope'" in done.stderr
