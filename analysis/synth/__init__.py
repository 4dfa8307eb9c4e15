"""The fictional city 青溪市: its orgs and personas (city), each table's rows (tables), the sample's folder
tree (layout), faults, file writers (writers), party workers (workers), self-scores (selfscores), the sample
(sample) and benchmark Parquet (scale)."""

from analysis.synth.city import CITY, PERSONAS, SAMPLE_YEARS, TERM_YEARS, Level, Record, persona_level
from analysis.synth.faults import FAULT_KINDS, Fault, FaultKind
from analysis.synth.sample import SynthReport, generate_sample
from analysis.synth.scale import generate_parquet
from analysis.synth.tables import INFO_REQUIRED, MANUAL_POINTS
from analysis.synth.writers import FileFormat

__all__ = [
    "CITY",
    "FAULT_KINDS",
    "INFO_REQUIRED",
    "MANUAL_POINTS",
    "PERSONAS",
    "SAMPLE_YEARS",
    "TERM_YEARS",
    "Fault",
    "FaultKind",
    "FileFormat",
    "Level",
    "Record",
    "SynthReport",
    "generate_parquet",
    "generate_sample",
    "persona_level",
]
