"""What a person at the terminal reads, apart from everything else the pipeline prints.

Dagster, dbt, Splink and Great Expectations all write to stdout and stderr, from this process and
from the processes they start. `terminal_and_log` sends all of it to a log file, at the level of
file descriptors so children inherit it, and hands back a rich `Console` on the terminal, so Hearth
says only what it chooses to and nothing is lost."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console


@contextmanager
def terminal_and_log(log_path: Path) -> Iterator[Console]:
    """Until the block ends, stdout and stderr (fds 1 and 2) append to `log_path`; the Console
    yielded writes to the terminal they were going to."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8")
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        yield Console(file=terminal, highlight=False, soft_wrap=True)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (saved_out, saved_err, log):
            os.close(fd)
        terminal.close()
