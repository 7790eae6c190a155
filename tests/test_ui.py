"""`hearth ui` serves the Dagster UI on workspace.yaml with a local instance; Debian's headless
Chromium opens the linkage asset graph and an asset's checks and sees them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _render(chromium: str, url: str) -> str:
    page = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True, text=True, timeout=180,
    )
    assert page.returncode == 0, page.stderr[-2000:]
    return page.stdout


def test_hearth_ui_shows_the_asset_graph_and_checks(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: `make test` installs it (make browser)"
    port = _free_port()
    ui = subprocess.Popen(
        ["hearth", "ui", "--port", str(port), "--home", str(tmp_path / "dagster_home")], cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                assert ui.poll() is None, "hearth ui exited before serving"
                assert time.monotonic() < deadline, "the Dagster UI did not start within 4 minutes"
                time.sleep(2)
        assert (tmp_path / "dagster_home" / "dagster.yaml").exists()
        graph = _render(chromium, f"http://127.0.0.1:{port}/locations/hearth/asset-groups/linkage")
        assert all(name in graph for name in ("address_matches", "person_links", "households", "families")), "linkage assets missing"
        checks = _render(chromium, f"http://127.0.0.1:{port}/assets/linkage/households?view=checks")
        assert "keyed_without_direct_identifiers" in checks
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=60)
