"""Ingest: export files in, a store out — every row kept, refused with a reason, or counted as a duplicate.
run drives it: walk finds files, file reads them (checking the sheets of many files together, one plan per
layout; memo remembers converted values), registry and links check org links, result reports."""

from analysis.ingest.profiles import Profile, ProfileError, load_profiles
from analysis.ingest.readers import Limits
from analysis.ingest.result import CONFLICT_SCHEMA, DUP_SCHEMA, IngestError, IngestResult
from analysis.ingest.run import ingest
from analysis.ingest.walk import discover, display_path

__all__ = [
    "CONFLICT_SCHEMA",
    "DUP_SCHEMA",
    "IngestError",
    "IngestResult",
    "Limits",
    "Profile",
    "ProfileError",
    "discover",
    "display_path",
    "ingest",
    "load_profiles",
]
