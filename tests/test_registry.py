"""The source registry and the raw table rules are two files; these tests keep them in step."""

import subprocess
import sys

from ingestion.registry import SOURCES
from validations.raw_schemas import RAW_TABLES


def test_every_table_a_source_fills_has_rules_and_one_source() -> None:
    tables = [table for source in SOURCES for table in source.tables]
    assert sorted(set(tables) - set(RAW_TABLES)) == []
    assert len(tables) == len(set(tables))
    assert set(RAW_TABLES) == set(tables), "a raw table has rules but no source fills it"


def test_reading_settings_imports_no_schemas() -> None:
    """Source names and file patterns are importable without pandera (the CLI and sensors read them)."""
    probe = "import sys, orchestration.settings, ingestion.landing; print('pandera' in sys.modules, 'great_expectations' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["False", "False"]
