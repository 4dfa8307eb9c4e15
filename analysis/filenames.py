"""File names people recognise: the Chinese name kept, what file systems forbid taken out.

Its own module (not in ``analysis.charts``) so that code naming files — the report planner in the parent
process — does not pay for importing altair.
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str, default: str = "图表", limit: int = 80) -> str:
    """A file name a person recognises and every file system accepts: the Chinese name kept,
    characters Windows forbids replaced by ``_``, no trailing dots or spaces, at most ``limit``
    characters."""
    s = unicodedata.normalize("NFC", name)
    s = _UNSAFE.sub("_", s)
    s = re.sub(r"\s+", " ", s).strip(" ._")[:limit].rstrip(" .")
    if not s:
        s = default
    if _RESERVED.match(s):
        s = f"_{s}"
    return s
