"""The benchmark's memory over time as a PNG: one line per world size, each stage's start marked, and
the 12 GiB target drawn, so a reader sees which stage holds the peak and how it grows with the persons."""

from __future__ import annotations

from pathlib import Path

MEMORY_TARGET_GIB = 12.0


def plot_memory(document: dict, path: Path) -> dict[int, float]:
    """Draw `hearth bench --json`'s memory samples to `path`; returns each world's plotted peak (GiB)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: draw to the file only
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 4.5), dpi=120)
    peaks = {}
    for persons, samples in document["memory_gib_over_seconds"].items():
        seconds, gib = zip(*samples, strict=True)
        (line,) = axes.plot(seconds, gib, linewidth=1.2, label=f"{int(persons):,} persons")
        peaks[int(persons)] = max(gib)
        for stage in document["stages"]:
            if stage["persons"] == int(persons) and stage["stage"] != "total":
                axes.axvline(stage["started_s"], color=line.get_color(), linewidth=0.5, alpha=0.4)
                label = {"xytext": (2, 2), "textcoords": "offset points", "rotation": 90, "fontsize": 6, "color": line.get_color()}
                axes.annotate(stage["stage"], (stage["started_s"], 0), **label)
    axes.axhline(MEMORY_TARGET_GIB, color="firebrick", linestyle="--", linewidth=1, label=f"target ({MEMORY_TARGET_GIB:g} GiB)")
    axes.set_xlabel("seconds since the run started")
    axes.set_ylabel("resident memory of the run's processes (GiB)")
    axes.set_ylim(0, max(MEMORY_TARGET_GIB, *peaks.values()) * 1.1)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return peaks
