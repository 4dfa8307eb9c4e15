"""The bundled sample: :func:`generate_sample` writes the exports of a fictional city's 市级机关 party
organizations, deterministic for a seed (same seed, same bytes).

It writes a small folder tree (under 5 MB) the way offices really send their files — workbooks with a title
row above the header, GB18030 and UTF-8 CSV, JSON arrays, Parquet — covering every table of
``shared/spec/DATA.md``.  Its organizations have personas worth analysing (exemplary, average, weak,
declining), a few special cases (a veto, an overdue election, vacant secretaries, approved late elections)
and a handful of injected faults.  The returned :class:`SynthReport` holds that ground truth; nothing but
export files is written to the folder, because every file in it gets ingested.

Assumptions and caveats
-----------------------
- The registry is one snapshot (the end of the last year) used for every year.
- Inspection items and their points (``manual.style`` 6, ``manual.duty`` 5, ``manual.mass`` 4) follow the
  rubric of ``shared/spec/RULES.md``; scores never exceed the points.
- An injected fault is an *extra* row: a copy of a valid row of the same file with exactly one value spoiled,
  so refusing it leaves the personas' data intact.  Duplicates are extra copies of valid rows, and the late
  reports' new rows (an ``other`` activity, an extra study day of an exemplary member) change no result.
- Exemplary orgs meet every rule of the ``changzhou-2009`` ruleset in every year they are exemplary (a
  declining org is exemplary in 2022, average in 2023, weak in 2024); weak ones hold at most two committee
  meetings and, as branches, fewer than half the 三会一课.  A veto makes an exemplary ancestor 不合格 anyway.
- The city looks like a real organ system: most orgs compliant, a few percent 不合格, about one org in ten on
  the weak list.  Most of the first draw's weak and declining orgs are brought up to average work after the
  special cases are picked (:func:`analysis.synth.city._settle_personas`), and an average org slips on its
  own habits (none to three of them), a little less each year, so its score keeps its level from year to year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from analysis.synth.city import SAMPLE_YEARS, Level, Record, _Org, persona_level
from analysis.synth.faults import Fault, _inject_faults, _resolve, _write_contacts
from analysis.synth.layout import _build_sample
from analysis.synth.selfscores import self_scores, write_returned
from analysis.synth.tables import _add_months
from analysis.synth.writers import _prepare, _write_file
from analysis.vocab import TABLES


@dataclass(frozen=True)
class SynthReport:
    """What :func:`generate_sample` wrote, and the ground truth tests check results against.

    Attributes
    ----------
    root : Path
        The sample folder.
    seed : int
    years : tuple of int
    files : tuple of str
        Every file written, relative POSIX paths, sorted.
    rows_written : dict
        Data rows written per canonical table, faults and duplicates included.
    rows_valid : dict
        Rows an ingest must keep per table (written minus faults minus duplicates).
    faults : tuple of Fault
        Injected bad rows and duplicates, sorted by (file, sheet, row).
    refused_files : tuple of str
        Files whose layout no table matches; ingest refuses them whole.
    top_level : tuple of str
        Org ids of the top-level organizations (直属党组织).
    personas : dict
        Org id → persona (``exemplary``, ``average``, ``weak``, ``declining``); see :func:`persona_level`.
    vetoed : dict
        Year → org ids vetoed that year (the org named by an incident and all its ancestors).
    overdue : dict
        Year → org ids whose term is more than a month overdue on 31 December.
    vacant_secretaries : tuple of str
        Orgs with an empty 书记 in the registry.
    approved_late : tuple of str
        Orgs that held an approved election 4–5 months after its due date.
    self_claims : dict
        ``honest``, ``inflated``, ``underclaimed`` → the orgs that sent self-scores of the last year so, in
        files of the 自评得分 table; ``returned`` → the orgs of the unit that returned its 自评分表.xlsx.
    """

    root: Path
    seed: int
    years: tuple[int, ...]
    files: tuple[str, ...]
    rows_written: dict[str, int]
    rows_valid: dict[str, int]
    faults: tuple[Fault, ...]
    refused_files: tuple[str, ...]
    top_level: tuple[str, ...]
    personas: dict[str, str]
    vetoed: dict[int, tuple[str, ...]]
    overdue: dict[int, tuple[str, ...]]
    vacant_secretaries: tuple[str, ...]
    approved_late: tuple[str, ...]
    self_claims: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def level(self, org_id: str, year: int) -> Level:
        """The level of work ``org_id`` did in ``year``."""
        return persona_level(self.personas[org_id], year)


def _ancestors(org_id: str, parent: dict[str, str | None]) -> list[str]:
    chain = [org_id]
    while (p := parent[chain[-1]]) is not None:
        chain.append(p)
    return chain


def _overdue(orgs: list[_Org], elections: list[Record], as_of: date) -> tuple[str, ...]:
    """Orgs more than a month past their current term's due date at ``as_of`` (RULES.md)."""
    last: dict[str, date] = {}
    for r in elections:
        held, org_id = r["date"], str(r["org_id"])
        if isinstance(held, date) and held <= as_of:
            last[org_id] = max(held, last.get(org_id, held))
    term = {o.org_id: o.term for o in orgs}
    due = {o: _add_months(d, 12 * term[o]) for o, d in last.items()}
    return tuple(sorted(o for o, d in due.items() if as_of > _add_months(d, 1)))


#: tables whose files are written after the contact list (see generate_sample)
_WRITTEN_LAST = frozenset({"party_workers", "self_scores"})

def generate_sample(out_dir: Path, seed: int = 2024) -> SynthReport:
    """Write the sample exports of a fictional city's 市级机关 party organizations.

    Sixty top-level organizations (mostly 机关党委, some 党总支 and a few 党支部) with their general
    branches and branches, 300 orgs in all, over 2022–2024, in a folder tree::

        组织名册.xlsx                      the registry (title rows, codes as text cells)
        换届记录.xlsx                      election history since 2012
        否决事项.json                      veto incidents
        其他/通讯录.xlsx                   a contact list: no table matches it, ingest refuses it
        <year>/<department>_<year>年活动记录.xlsx|csv|json
                                           each department's activities, in varied layouts
        <year>/党员学习_<year>.xlsx|parquet  study attendance per member
        <year>/党费_<year>.xlsx|csv         dues per org and month
        <year>/督查评分_<year>.xlsx|csv|json  inspection scores
        2024/补报/补报活动记录.csv          late reports: a few new rows, copies of rows already
        2024/补报/党员学习补报.csv          sent (duplicates) and some of the faults
        2024/自评/<department>_2024年自评得分.xlsx|csv|json
                                           self-scores of 40 % of the units (analysis.synth.selfscores)
        2024/自评/<department>_2024年自评分表.xlsx
                                           one unit's returned 自评分表, written by analysis.outputs.excel

    Files come as workbooks (title rows above the header, merged; dates as date cells, serial numbers or
    text), GB18030 CSV, UTF-8 CSV with and without BOM, JSON arrays and Parquet; headers in Chinese or
    English, some with spaces, full-width characters or ``*`` marks; dates in every form of DATA.md.

    Parameters
    ----------
    out_dir : Path
        Folder to write; created when missing.  It must be empty: every file in it is an export.
    seed : int
        Seed of the ``random.Random`` that draws everything; the same seed gives the same bytes.

    Returns
    -------
    SynthReport
        The files, row counts, injected faults and ground truth (personas, vetoes, overdue terms, ...).

    Raises
    ------
    FileExistsError
        When ``out_dir`` exists and is not empty.
    """
    root = _prepare(out_dir)
    sample, rng = _build_sample(seed)
    pending = _inject_faults(rng, sample.files)
    # self-scores are claimed against the points of the valid rows, so they are drawn once the faults are in
    selfs = self_scores(seed, sample.orgs, sample.files, {id(p.record) for p in pending})
    sample.files.extend(selfs.files)
    # tables added to the sample later are written after the contact list, from the same stream, so that
    # adding them leaves every earlier file byte for byte as it was
    later = [f for f in sample.files if f.sheets[0].table in _WRITTEN_LAST]
    for f in sample.files:
        if f.sheets[0].table not in _WRITTEN_LAST:
            _write_file(root, f, rng)
    contacts = _write_contacts(root, rng)
    for f in [*later, *sample.later_files]:  # the duty files were added after the faults, so go last
        _write_file(root, f, rng)
    returned = write_returned(root, selfs)

    faults = tuple(sorted((_resolve(p) for p in pending), key=lambda x: (x.file, x.sheet, x.row)))
    written = dict.fromkeys(TABLES, 0)
    files = [*sample.files, *sample.later_files]
    for f in files:
        for s in f.sheets:
            written[s.table] += len(s.records)
    written["self_scores"] += selfs.returned_rows
    valid = dict(written)
    for fault in faults:
        valid[fault.table] -= 1

    orgs, cases = sample.orgs, sample.cases
    parent = {o.org_id: o.parent_id for o in orgs}
    vetoed = {
        y: tuple(sorted({a for o, d, _ in cases.veto if d.year == y for a in _ancestors(o, parent)}))
        for y in SAMPLE_YEARS
    }
    elections = next(s.records for f in sample.files for s in f.sheets if s.table == "elections")
    return SynthReport(
        root=root,
        seed=seed,
        years=SAMPLE_YEARS,
        files=tuple(sorted([*(f.path for f in files), contacts, returned])),
        rows_written=written,
        rows_valid=valid,
        faults=faults,
        refused_files=(contacts,),
        top_level=tuple(o.org_id for o in orgs if o.is_top),
        personas={o.org_id: o.persona for o in orgs},
        vetoed=vetoed,
        overdue={y: _overdue(orgs, elections, date(y, 12, 31)) for y in SAMPLE_YEARS},
        vacant_secretaries=cases.vacant,
        approved_late=cases.late,
        self_claims={
            "honest": selfs.honest,
            "inflated": selfs.inflated,
            "underclaimed": selfs.underclaimed,
            "returned": tuple(sorted(selfs.returned.scores["org_id"])),
        },
    )
