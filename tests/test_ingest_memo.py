"""Checking a sheet converts each distinct cell value once and remembers it for the next sheet: the values
and reasons must be exactly those of converting every cell, whatever was converted before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from analysis.ingest import validate
from analysis.ingest.profiles import load_profile
from analysis.ingest.readers import Limits, read_file
from analysis.ingest.validate import parse_sheet, recognise

HEADER = "组织编码,活动日期,活动类型,主题,参加人数,有记录\n"


def parsed(tmp_path: Path, name: str, body: str, profiles: list | None = None) -> validate.Parsed:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    (sheet,) = read_file(path, Limits())
    rec = recognise(sheet, Limits(), name, profiles or [])
    return parse_sheet(sheet, rec, name, Limits())


def reasons(p: validate.Parsed) -> list[tuple[int, str, str, str]]:
    return list(p.rejects.select("_row", "column", "value", "reason_code").iter_rows())


@pytest.fixture(autouse=True)
def fresh_memo() -> None:
    validate._MEMOS.clear()


def test_a_value_converted_for_an_earlier_sheet_gives_the_same_value_and_reason_again(tmp_path: Path) -> None:
    body = "000101,2024-03-05,支部委员会,甲,7,是\n000101,2024-13-01,支部委员会,乙,x,否\n"
    first = parsed(tmp_path, "a.csv", body)
    second = parsed(tmp_path, "b.csv", body + "000102,2024年3月6日,组织生活会,丙,3,\n")

    expected_rejects = [(3, "date", "2024-13-01", "bad_date"), (3, "attendees", "x", "not_a_number")]
    assert reasons(first) == expected_rejects
    assert reasons(second) == expected_rejects
    assert second.valid.select("org_id", "date", "kind", "attendees", "recorded").rows() == [
        ("000101", date(2024, 3, 5), "committee_meeting", 7, True),
        ("000102", date(2024, 3, 6), "org_life_meeting", 3, False),
    ]
    assert first.valid.drop("_file").equals(second.valid.drop("_file").head(1))


def test_a_profiles_yes_words_do_not_carry_over_to_a_sheet_without_the_profile(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text(
        '[profile]\ntable = "activities"\nsignature = ["组织编码", "活动日期", "活动类型"]\n'
        '[columns]\n"组织编码" = "org_id"\n"活动日期" = "date"\n"活动类型" = "kind"\n"参加人数" = "attendees"\n'
        '"有记录" = "recorded"\n[values.yes_no]\n"done" = true\n',
        encoding="utf-8",
    )
    body = "000101,2024-03-05,支部委员会,甲,7,done\n"
    with_profile = parsed(tmp_path, "a.csv", body, [load_profile(toml)])
    without = parsed(tmp_path, "b.csv", body)

    assert with_profile.valid["recorded"].to_list() == [True]
    assert reasons(with_profile) == []
    assert reasons(without) == [(2, "recorded", "done", "bad_bool")]


def test_a_sheet_too_large_for_the_memo_is_checked_cell_by_cell_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(
        f"00010{i % 3},2024-0{1 + i % 9}-1{i % 10},{('支部委员会', '党课', '谈心谈话', '?')[i % 4]},t{i},{i - 2},"
        f"{('是', '否', '', 'maybe')[i % 4]}\n"
        for i in range(40)
    )
    by_value = parsed(tmp_path, "a.csv", body)
    monkeypatch.setattr(validate, "MEMO_ROWS", 10)
    by_cell = parsed(tmp_path, "a.csv", body)

    assert by_value.valid.height == 28  # 10 rows of an unknown kind and 否-or-是 "maybe", 2 negative counts
    assert by_value.rejects.height == 22
    assert by_value.valid.equals(by_cell.valid)
    assert by_value.rejects.equals(by_cell.rejects)
