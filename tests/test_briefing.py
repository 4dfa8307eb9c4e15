"""The briefing deck (汇报材料.pptx), read back with python-pptx — and rendered by LibreOffice where it exists."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from PIL import Image
from pptx import Presentation
from pptx.util import Inches, Pt

from analysis.assess import assess
from analysis.decisions import select_advanced, selection_settings, weak_orgs
from analysis.outputs.briefing import ROWS_PER_SLIDE, briefing_facts, write_briefing
from analysis.terms import assess_terms
from tests.test_rules_helpers import D, orgs_frame, perfect_store

QUALITY = {"files": 7, "refused_files": 1, "rows_read": 1200, "rows_kept": 1180, "rows_refused": 15, "rows_duplicate": 5}
#: 24 branches under one committee, so the lists run past one slide
ORGS = [{"org_id": "C", "name": "机关党委", "org_type": "committee", "parent_id": None}] + [
    {"org_id": f"B{i:02d}", "name": f"第{i}党支部", "org_type": "branch", "parent_id": "C"} for i in range(1, 25)
]


def em(text: str) -> float:
    """Counted width: a CJK/full-width character 1 em, any other 0.6 em (Arial averages below 0.6)."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in text)


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> tuple[Presentation, dict, Path]:
    ids = [o["org_id"] for o in ORGS]
    orgs = orgs_frame(ORGS, **{o: {"member_count": 1, "mid_cadres": 3} for o in ids})
    # B13…B24 lose their monthly studies: they fail and land on the weak list; B24 is also vetoed
    store = perfect_store(ids, orgs=orgs, incidents=[{"org_id": "B24", "date": D(2024, 5, 2), "kind": "major_loss", "note": ""}])
    acts = store.table("activities").collect()
    weak_ids = [f"B{i:02d}" for i in range(13, 25)]
    acts = acts.filter(~(pl.col("org_id").is_in(weak_ids) & (pl.col("kind").is_in(["group_study", "committee_meeting"]))))
    frames = {t: store.table(t).collect() for t in ("orgs", "study", "elections", "dues", "inspections", "incidents")}
    from analysis.store import Store

    store = Store.from_frames({**frames, "activities": acts})
    a = assess(store, 2024)
    weak = weak_orgs(a)
    adv = select_advanced(a, weak=weak, **{**selection_settings(a), "draws": 50})
    terms = assess_terms(store, "2024-12-31", annual={2024: a})
    facts = briefing_facts(a, adv, weak, QUALITY, unit="测试党工委", source="测试台账", terms=terms)
    path = write_briefing(facts, tmp_path_factory.mktemp("deck") / "汇报材料.pptx")
    info = {"a": a, "adv": adv, "weak": weak, "terms": terms}
    return Presentation(str(path)), info, path


def titles(prs: Presentation) -> list[str]:
    out = []
    for slide in prs.slides:
        boxes = [s for s in slide.shapes if s.has_text_frame]
        out.append(boxes[0].text_frame.text)
    return out


def test_slide_count_and_order(deck) -> None:
    prs, info, _ = deck
    adv, weak, terms = info["adv"], info["weak"], info["terms"]
    n_adv = int(adv["selected"].sum())
    n_due = terms.report_due.height
    pages = lambda n: max(1, -(-n // ROWS_PER_SLIDE))  # noqa: E731
    expected = 1 + 1 + 1 + 1 + 1 + pages(n_adv) + pages(weak.height) + 1 + pages(n_due) + 1
    assert weak.height == 13 and n_adv >= 1  # the 12 failing branches and C, vetoed through B24
    assert len(prs.slides) == expected
    t = titles(prs)
    assert t[:5] == ["2024年度机关党建工作目标管理考核情况汇报", "总体情况", "一票否决事项", "考核得分分布", "各直属党组织得分排名"]
    assert t[-1] == "数据质量"
    assert "后进（软弱涣散）党组织排查" in t and "换届提醒" in t


def test_headline_numbers_equal_the_assessment(deck) -> None:
    prs, info, _ = deck
    s = info["a"].scores
    table = next(sh for sh in prs.slides[1].shapes if sh.has_table).table
    cells = {table.cell(r, 0).text: table.cell(r, 1).text for r in range(1, len(table.rows))}
    grades = {g: s.filter(pl.col("grade") == g).height for g in ("优秀", "良好", "合格", "不合格")}
    assert cells["参评党组织"] == f"{s.height} 个（党委 1 个、党支部 24 个）"
    assert cells["考核等次"] == "、".join(f"{g} {n} 个" for g, n in grades.items() if n)
    # B24's incident vetoes B24 and its committee C
    assert cells["一票否决"] == f"{s.filter(pl.col('vetoed')).height} 个" == "2 个"
    assert cells["推荐先进基层党组织"] == f"{int(info['adv']['selected'].sum())} 个"
    assert cells["后进（软弱涣散）排查"] == f"{info['weak'].height} 个"
    assert cells["应报送任期考核材料"] == f"{info['terms'].report_due.height} 个"
    notes = prs.slides[1].notes_slide.notes_text_frame.text
    assert notes.startswith(f"今年参评党组织 {s.height} 个")
    assert f"优秀 {grades['优秀']} 个" in notes


def test_no_text_overflows_its_box(deck) -> None:
    prs, _, _ = deck
    for k, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            assert 0 <= shape.left and shape.left + shape.width <= prs.slide_width, (k, shape.name)
            assert 0 <= shape.top and shape.top + shape.height <= prs.slide_height, (k, shape.name)
            if shape.has_text_frame:
                for para in shape.text_frame.paragraphs:
                    size = max((r.font.size for r in para.runs if r.font.size), default=Pt(18))
                    assert em(para.text) * size <= shape.width - Inches(0.2), (k, para.text)
            if shape.has_table:
                table = shape.table
                for r in range(len(table.rows)):
                    for c, col in enumerate(table.columns):
                        para = table.cell(r, c).text_frame.paragraphs[0]
                        size = para.runs[0].font.size
                        assert em(para.text) * size <= col.width - Inches(0.2), (k, para.text)
                assert len(table.rows) <= ROWS_PER_SLIDE + 1


def test_every_run_names_the_east_asian_font(deck) -> None:
    prs, _, _ = deck
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    runs = [r for s in prs.slides for r in s.shapes._spTree.iter(f"{ns}r")]
    assert runs
    assert all(r.find(f"{ns}rPr/{ns}ea").get("typeface") == "微软雅黑" for r in runs)


def test_charts_are_16_by_9_images(deck) -> None:
    prs, _, _ = deck
    pictures = [sh for s in prs.slides for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) == 3  # grade distribution, ranking of units, items most often failed
    for pic in pictures:
        assert abs(pic.width / pic.height - 16 / 9) < 0.01
        img = Image.open(io.BytesIO(pic.image.blob))
        assert img.size == (2560, 1440)


def test_every_slide_has_speaker_notes(deck) -> None:
    prs, _, _ = deck
    assert all(s.notes_slide.notes_text_frame.text.strip() for s in prs.slides)


def test_long_lists_continue_on_the_next_slide(deck) -> None:
    prs, info, _ = deck
    t = titles(prs)
    n_due = info["terms"].report_due.height
    cont = [x for x in t if x.startswith("换届提醒（续")]
    assert len(cont) == max(0, -(-n_due // ROWS_PER_SLIDE) - 1)


def test_rendered_by_libreoffice_pages_are_not_blank(deck, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.skip("LibreOffice (soffice) or pdftoppm is not installed: the deck was checked by python-pptx only")
    _, _, path = deck
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=240)
    subprocess.run([pdftoppm, "-r", "30", "-png", str(tmp_path / "汇报材料.pdf"), str(tmp_path / "p")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(Presentation(str(path)).slides)
    for page in pages:
        gray = Image.open(page).convert("L")
        dark = sum(gray.histogram()[:200])
        assert dark / (gray.width * gray.height) > 0.005, page.name


def test_briefing_command_writes_the_deck(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(
        "组织编码,组织名称,组织类型,上级组织编码\n000100,机关党委,党委,\n000101,第一支部,党支部,000100\n", encoding="utf-8"
    )
    (data / "活动.csv").write_text(
        "组织编码,活动日期,活动类型\n000101,2024-03-01,党课\n000100,2024-04-01,委员会议\n", encoding="utf-8"
    )
    out = tmp_path / "汇报材料.pptx"
    r = subprocess.run([sys.executable, "-m", "analysis", "briefing", "--data", str(data), "--year", "2024",
                        "--out", str(out), "--unit", "某某党工委"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "已写出汇报材料" in r.stdout
    prs = Presentation(str(out))
    assert titles(prs)[0] == "2024年度机关党建工作目标管理考核情况汇报"
    assert "某某党工委" in prs.slides[0].shapes[1].text_frame.text
    bad = subprocess.run([sys.executable, "-m", "analysis", "briefing", "--data", str(data), "--year", "2024",
                          "--out", str(tmp_path / "x.ppt")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "应为 .pptx 文件" in bad.stderr



def test_index_lists_the_deck_among_the_files_to_hand_in(tmp_path: Path) -> None:
    from analysis.reports.index import RESULTS_DIR, _files

    folder = tmp_path / RESULTS_DIR
    folder.mkdir()
    (folder / "汇报材料.pptx").write_bytes(b"pptx")
    (folder / "考核结果.xlsx").write_bytes(b"xlsx")
    files = _files(tmp_path)
    assert [f["name"] for f in files] == ["考核结果.xlsx", "汇报材料.pptx"]
    assert files[1]["kind"] == "PowerPoint 汇报材料（党工委会议用，附讲稿）"
    assert files[1]["href"] == "%E8%80%83%E6%A0%B8%E7%BB%93%E6%9E%9C/%E6%B1%87%E6%8A%A5%E6%9D%90%E6%96%99.pptx"
