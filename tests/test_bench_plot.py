"""The benchmark's memory-over-time plot: a PNG of the samples `hearth bench --json` saves."""

from __future__ import annotations

import struct
from pathlib import Path

from hearth.bench_plot import plot_memory


def test_the_plot_is_a_png_of_each_worlds_samples_with_its_peak(tmp_path: Path) -> None:
    document = {  # as read back from the JSON: world sizes are strings there
        "stages": [
            {"persons": 1000, "stage": "generate", "started_s": 0.0},
            {"persons": 1000, "stage": "ingest + validate", "started_s": 2.0},
            {"persons": 1000, "stage": "total", "started_s": 0.0},
            {"persons": 3000, "stage": "generate", "started_s": 0.0},
        ],
        "memory_gib_over_seconds": {"1000": [[0.0, 0.5], [1.0, 1.25], [2.0, 0.75]], "3000": [[0.0, 0.5], [1.0, 3.5], [2.0, 2.0]]},
    }
    peaks = plot_memory(document, tmp_path / "plots" / "memory.png")
    assert peaks == {1000: 1.25, 3000: 3.5}
    header = (tmp_path / "plots" / "memory.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1200, 540)  # 10 x 4.5 inches at 120 dpi
