"""The quarantine-rate gate, one rule for the Dagster check that enforces it and the stewards' page
that shows it. A table blocks what depends on it when the share of its rows held in quarantine is
above its source's threshold, once at least `minimum_rows` are held: a share of a small table says
little (one duplicated review in a 13-row SSDA903 reviews table is 7.7%), and the row is in
quarantine either way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .registry import Source

QUARANTINE_GATE = "quarantine_rate_within_threshold"
MINIMUM_ROWS = 2


@dataclass(frozen=True)
class QuarantineGate:
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per source, overriding the registry's (HEARTH_QUARANTINE_THRESHOLDS)
    minimum_rows: int = MINIMUM_ROWS

    def threshold(self, source: Source) -> float:
        return self.thresholds.get(source.name, source.failure_threshold)

    def blocks(self, held: int, read: int, threshold: float) -> bool:
        return bool(read) and held / read > threshold and held >= self.minimum_rows
