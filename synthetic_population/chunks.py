"""Frames gathered in chunks: the simulation's months, the fault log's calls."""

from __future__ import annotations

import numpy as np
import polars as pl


def concat_chunks(chunks: list[dict[str, np.ndarray]]) -> pl.DataFrame:
    """The chunks' columns end to end as one frame (the chunks share their keys): joined in numpy, as a frame per
    chunk, thousands of them, costs more than their rows."""
    return pl.DataFrame({name: np.concatenate([np.asarray(chunk[name]) for chunk in chunks]) for name in chunks[0]})
