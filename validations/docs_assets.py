"""Great Expectations Data Docs pages load jQuery, Bootstrap, Vega and friends from public CDNs. A
secure setting has no internet, so the pages would open unstyled and full of script errors. These
scripts and styles are fetched once from the npm registry at install time (`make docs-assets`),
pinned here, and every Data Docs page is rewritten to load them from the site itself. The stewards'
overview is built on the same copies, with the GOV.UK Frontend styles beside them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CACHE_DIR = Path(__file__).resolve().parents[1] / "data" / "vendor"
VENDOR = "static/vendor"
# CDN address (as GX writes it, before any query string) -> (npm package@exact version, file in the package)
CDN_FILES: dict[str, tuple[str, str]] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": ("popper.js@1.12.9", "dist/umd/popper.min.js"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": ("bootstrap@4.3.1", "dist/js/bootstrap.min.js"),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": ("bootstrap@4.3.1", "dist/css/bootstrap.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": ("bootstrap-table@1.19.1", "dist/bootstrap-table.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": ("bootstrap-table@1.19.1", "dist/bootstrap-table.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table@1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table@1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table@1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker@1.9.0",
        "dist/js/bootstrap-datepicker.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker@1.9.0",
        "dist/css/bootstrap-datepicker.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": ("@fortawesome/fontawesome-free@6.6.0", "css/all.min.css"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark@1.1.0",
        "dist/css/bootstrap-prefers-dark.css",
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega@5.33.1", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega-lite@5.23.0", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega-embed@6.29.0", "build/vega-embed.min.js"),
}
EXTRA_FOLDERS = {"@fortawesome/fontawesome-free@6.6.0": ["webfonts"]}  # all.min.css loads ../webfonts/*
# What the stewards' overview (validations/overview) loads, by name: the GOV.UK Frontend styles and Vega-Lite's builds.
SITE_FILES: dict[str, tuple[str, str]] = {
    "govuk.css": ("govuk-frontend@5.14.0", "dist/govuk/govuk-frontend.min.css"),
    "vega.js": CDN_FILES["https://cdn.jsdelivr.net/npm/vega@5"],
    "vega-lite.js": CDN_FILES["https://cdn.jsdelivr.net/npm/vega-lite@5"],
    "vega-embed.js": CDN_FILES["https://cdn.jsdelivr.net/npm/vega-embed@6"],
}
# The GDS Transport typeface is licensed for GOV.UK services only: the site's copy of the GOV.UK
# styles declares no font face (no font file is ever requested) and falls back to Arial. The source
# map comment names a file the site does not carry.
GOVUK_FONT_FACE = re.compile(r"@font-face\{font-family:GDS Transport;[^}]*\}")
GOVUK_FONT_NAME = "GDS Transport,"
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/")
# The GX logo comes from S3 with tracking parameters; the pages do without it.
DROPPED_IMAGE = re.compile(r'<img[^>]*src="https://great-expectations-web-assets[^"]*"[^>]*>')
LOADED_URL = re.compile(r'(<script[^>]*\bsrc="|<link[^>]*\bhref=")(https?://[^"]+)"')
# Subresource-integrity and CORS attributes belong to the CDN copies; local files load without them.
CDN_ATTRIBUTES = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')


def _package_dir(spec: str) -> Path:
    return CACHE_DIR / spec.replace("/", "__")


def fetch_assets() -> None:
    """Download the pinned packages from the npm registry into data/vendor (once)."""
    for spec in sorted({spec for spec, _ in (*CDN_FILES.values(), *SITE_FILES.values())}):
        target = _package_dir(spec)
        if target.exists():
            continue
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(["npm", "pack", spec, "--pack-destination", scratch, "--silent"], check=True, capture_output=True)
            (archive,) = Path(scratch).glob("*.tgz")
            with tarfile.open(archive) as tar:
                tar.extractall(scratch, filter="data")
            shutil.copytree(Path(scratch) / "package", target)


def _vendored(spec: str, path: str) -> Path:
    source = _package_dir(spec) / path
    if not source.exists():
        raise FileNotFoundError(f"{source} is missing: run `make docs-assets` (npm) first")
    return source


def require_vendored() -> None:
    """Raise now, not at the end of a long run, if any file the stewards' site needs is not vendored."""
    for spec, path in (*CDN_FILES.values(), *SITE_FILES.values()):
        _vendored(spec, path)


def copy_site_files(site_dir: Path) -> dict[str, str]:
    """Copy the overview's styles and scripts under `site_dir/static/vendor`; returns each name's
    path relative to `site_dir`, so the page loads them from file:// or any server, offline."""
    paths = {}
    for name, (spec, path) in SITE_FILES.items():
        relative = f"{VENDOR}/{spec.replace('/', '__')}/{path}"
        destination = site_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        source = _vendored(spec, path)
        if spec.startswith("govuk-frontend@"):
            css = SOURCE_MAP.sub("", GOVUK_FONT_FACE.sub("", source.read_text(encoding="utf-8"))).replace(GOVUK_FONT_NAME, "")
            destination.write_text(css, encoding="utf-8")
        else:
            shutil.copyfile(source, destination)
        paths[name] = relative
    return paths


def localise(site_dir: Path) -> None:
    """Copy the vendored files into the site and point every page at them. Raises if a page loads
    something from the internet that is not vendored, so a GX upgrade cannot break the docs silently."""
    for spec, path in CDN_FILES.values():
        source = _vendored(spec, path)
        destination = site_dir / VENDOR / spec.replace("/", "__") / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        for folder in EXTRA_FOLDERS.get(spec, []):
            shutil.copytree(_package_dir(spec) / folder, site_dir / VENDOR / spec.replace("/", "__") / folder, dirs_exist_ok=True)
    for page in site_dir.rglob("*.html"):
        text = DROPPED_IMAGE.sub("", page.read_text(encoding="utf-8"))
        up = os.path.relpath(site_dir, page.parent)

        def local(match: re.Match, page: Path = page, up: str = up) -> str:
            url = match.group(2).split("?")[0]
            if url not in CDN_FILES:
                raise ValueError(f"{page}: loads {url}, which is not vendored in validations/docs_assets.py")
            spec, path = CDN_FILES[url]
            return f'{match.group(1)}{up}/{VENDOR}/{spec.replace("/", "__")}/{path}"'

        page.write_text(CDN_ATTRIBUTES.sub("", LOADED_URL.sub(local, text)), encoding="utf-8")


if __name__ == "__main__":
    fetch_assets()
    print(f"Data Docs assets in {CACHE_DIR}", file=sys.stderr)
