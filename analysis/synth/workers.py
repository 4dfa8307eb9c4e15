"""The sample's party-affairs workers (党务工作者): each org's secretary and two to four committee members.

Drawn from a random stream of their own (seeded from the sample's seed), so adding them changes no other
file of the sample.  The cases the 优秀党务工作者 rules need: some members appointed within the last
twelve months, a few with no appointment date, one worker serving in two orgs, one org whose registry
names a secretary the workers table does not (a data warning); members whose study falls short of 12 days
come from the study table itself (the member ids are the study table's).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from analysis.synth.city import Record, _Org, _person

_ROLES = ("副书记", "组织委员", "宣传委员", "纪检委员", "委员")
#: appointments: mostly at or before the last election, some recent (under 12 months at 31 Dec 2024)
_SINCE = (date(2017, 1, 1), date(2023, 6, 30))
_RECENT = (date(2024, 2, 1), date(2024, 11, 30))


def _day(rng: random.Random, span: tuple[date, date]) -> date:
    return span[0] + timedelta(days=rng.randrange((span[1] - span[0]).days + 1))


def worker_rows(seed: int, orgs: list[_Org]) -> list[Record]:
    """One row per worker and org, ordered by org and member."""
    rng = random.Random(f"party-workers-{seed}")
    rows: list[Record] = []
    for o in orgs:
        if o.secretary:
            mode = "专职" if o.secretary_mode == "专职" else "兼职"
            rows.append(_row(o, 1, o.secretary, "书记", _day(rng, _SINCE), mode))
        for k in range(2, 2 + rng.randint(2, 4)):
            if k > o.member_count:
                break
            since = _day(rng, _RECENT) if rng.random() < 0.12 else _day(rng, _SINCE)
            rows.append(_row(o, k, _person(rng), _ROLES[(k - 2) % len(_ROLES)], since, "兼职"))
    for r in rng.sample(rows, 4):  # an appointment date nobody recorded
        r["since"] = None
    # a committee member who also sits on a sibling branch's committee
    first = next(r for r in rows if r["role"] == "组织委员")
    parent = next(o.parent_id for o in orgs if o.org_id == first["org_id"])
    sibling = next(o for o in orgs if o.parent_id == parent and o.org_id != first["org_id"])
    rows.append({**first, "org_id": sibling.org_id, "role": "委员"})
    # the registry names a secretary the workers table does not: a new secretary, registry not yet updated
    stale = next(r for r in rows if r["role"] == "书记" and r["org_id"] != first["org_id"])
    stale["name"] = _person(rng)
    return sorted(rows, key=lambda r: (r["org_id"], r["member_id"]))


def _row(o: _Org, k: int, name: str, role: str, since: date | None, mode: str) -> Record:
    return {"member_id": f"{o.org_id}{k:03d}", "name": name, "org_id": o.org_id, "role": role,
            "since": since, "mode": mode}
