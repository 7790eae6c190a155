"""Reading landed extracts exactly as received, refusing whole files that cannot be read safely.

Every value is read as text: the raw layer keeps what the source sent, and typing is the job of
dbt staging. Files are taken as local authorities send them: UTF-8 with or without a byte-order
mark or Windows-1252, any line endings, headers in any order and letter case. A file is refused
as a whole (FileRejected, naming the file and the problem) when it is empty, cannot be decoded,
is not well-formed XML, or lacks a column its year must carry.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from code_lists.workforce import CSWW_LA_LEVEL_COLUMNS, CSWW_REPEATING, CSWW_WORKER_COLUMNS

_HASH_CHUNK_BYTES = 1024 * 1024
ROW_NUMBER = "_row_number"
EXTRA_COLUMNS = "_extra_columns"  # columns a CSV extract carries that its table does not declare, as JSON


class FileRejected(Exception):
    """A whole file is unusable; nothing from it is loaded."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = str(path), problem


def sha256_file(path: Path, chunk_bytes: int = _HASH_CHUNK_BYTES) -> str:
    """Hex sha256 of a file, read in fixed-size chunks so large extracts stay out of memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


# Text a local authority may send: UTF-8 with or without a byte-order mark, or Windows-1252,
# Excel's default for "CSV" (ASCII is valid UTF-8). Control bytes are the same in both.
_CONTROL_BYTES = re.compile(b"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")


def decode(path: Path) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes, and the encoding it was sent in: `utf-8`, `utf-8-sig` (with a
    byte-order mark) or `cp1252`. Refused whole when it is empty, UTF-16 or UTF-32, or not text."""
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected(path, "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(path, "wrong encoding: UTF-16 or UTF-32 byte-order mark, expected UTF-8 or Windows-1252")
    if control := _CONTROL_BYTES.search(data):
        raise FileRejected(path, f"wrong encoding: not text (control byte {control.group()!r} at byte {control.start()}), expected UTF-8 or Windows-1252")
    marked = data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :] if marked else data
    try:
        text.decode("utf-8")
        return text, "utf-8-sig" if marked else "utf-8"
    except UnicodeDecodeError as exc:
        if marked:
            raise FileRejected(path, f"wrong encoding: a UTF-8 byte-order mark, but not valid UTF-8 at byte {exc.start + len(codecs.BOM_UTF8)}") from exc
    try:
        return text.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError as exc:
        raise FileRejected(path, f"wrong encoding: neither UTF-8 nor Windows-1252 (byte {exc.start})") from exc


@dataclass(frozen=True)
class CsvExtract:
    """A CSV extract's rows and what was tolerated to read it."""

    frame: pl.DataFrame  # every declared column (blank where the file lacks it), EXTRA_COLUMNS, ROW_NUMBER
    encoding: str
    extra_columns: tuple[str, ...]  # header names the table does not declare, as the file wrote them


def read_csv_extract(path: Path, declared: tuple[str, ...], expected: tuple[str, ...]) -> CsvExtract:
    """The rows of a CSV extract as text, numbered from 1, with blank fields as nulls.

    Header names match the `declared` columns in any order and letter case, trimmed. The file is
    refused whole only when it lacks one of the `expected` columns (those its year must carry);
    columns it does not declare are kept, one JSON object per row in EXTRA_COLUMNS.
    """
    text, encoding = decode(path)
    try:
        cells = pl.read_csv(text, has_header=False, infer_schema=False)
    except pl.exceptions.ComputeError as exc:
        raise FileRejected(path, f"not a well-formed CSV: {exc}") from exc
    # A blank header cell (Excel's trailing commas) is named by its position, so it is kept and reported like any other.
    header = [(name or "").strip() or f"(unnamed column {position})" for position, name in enumerate(cells.row(0), start=1)]
    by_folded = {name.casefold(): name for name in declared}
    names = [by_folded.get(name.casefold(), name) for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileRejected(path, f"repeated column(s) {', '.join(repeated)}")
    extra = tuple(name for name in names if name not in declared)
    missing = [c for c in expected if c not in names]
    if missing:
        renamed = f"; unexpected column(s) {', '.join(extra)} (renamed?)" if extra else ""
        raise FileRejected(path, f"missing column(s) {', '.join(missing)}{renamed}")
    rows = cells.slice(1).rename(dict(zip(cells.columns, names, strict=True))).with_columns(pl.all().str.strip_chars().replace("", None))
    frame = rows.select(
        *(pl.col(c) if c in names else pl.lit(None, dtype=pl.Utf8).alias(c) for c in declared),
        (pl.struct(extra).struct.json_encode() if extra else pl.lit(None, dtype=pl.Utf8)).alias(EXTRA_COLUMNS),
    )
    frame = frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    return CsvExtract(frame, encoding, extra)


def parse_xml(path: Path) -> ET.Element:
    text, _ = decode(path)
    try:
        return ET.fromstring(text.decode("utf-8"))  # as text: the bytes may no longer be in the encoding the XML declares
    except ET.ParseError as exc:
        raise FileRejected(path, f"XML is not well-formed (truncated?): {exc}") from exc


def _child_text(element: ET.Element, tag: str) -> str | None:
    found = element.find(tag)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


CIN_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "cin_children": ("LAchildID", "UPN", "UPNunknown", "PersonBirthDate", "GenderCurrent", "Ethnicity"),
    "cin_episodes": (
        "LAchildID",
        "CINdetailsNumber",
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode",
        "CINclosureDate",
        "ReasonForClosure",
        "ReferralNFA",
    ),
    "cin_assessments": ("LAchildID", "CINdetailsNumber", "AssessmentActualStartDate", "AssessmentAuthorisationDate", "AssessmentFactors"),
    "cin_plans": ("LAchildID", "CINdetailsNumber", "CINPlanStartDate", "CINPlanEndDate"),
    "cin_section47": ("LAchildID", "CINdetailsNumber", "S47ActualStartDate", "DateOfInitialCPC", "ICPCnotRequired"),
    "cin_protection_plans": (
        "LAchildID",
        "CINdetailsNumber",
        "CPPstartDate",
        "CPPendDate",
        "InitialCategoryOfAbuse",
        "LatestCategoryOfAbuse",
        "NumberOfPreviousCPP",
        "CPPreviewDates",
    ),
}


def read_cin_xml(path: Path) -> dict[str, pl.DataFrame]:
    """Flatten a CIN census return into one table per repeating element.

    Rows keep the child's LAchildID and the position of their CINdetails, so every table joins
    back to the child; `_row_number` is the element's position in the file (the nth Child, the
    nth CINdetails, ...), which is what a steward looks for.
    """
    root = parse_xml(path)
    if root.tag != "Message" or root.find("Children") is None:
        raise FileRejected(path, f"not a CIN census message: root <{root.tag}> without <Children>")
    rows: dict[str, list[dict[str, str | None]]] = {name: [] for name in CIN_TABLE_COLUMNS}
    child_fields = CIN_TABLE_COLUMNS["cin_children"]
    detail_number = 0
    for child in root.iterfind("Children/Child"):
        ids = child.find("ChildIdentifiers")
        chars = child.find("ChildCharacteristics")
        if ids is None:
            raise FileRejected(path, f"Child {len(rows['cin_children']) + 1} has no <ChildIdentifiers>")
        record = {f: _child_text(ids, f) for f in child_fields if f != "Ethnicity"}
        record["Ethnicity"] = _child_text(chars, "Ethnicity") if chars is not None else None
        rows["cin_children"].append(record)
        child_id = record["LAchildID"]
        for details in child.iterfind("CINdetails"):
            detail_number += 1
            key = {"LAchildID": child_id, "CINdetailsNumber": str(detail_number)}
            rows["cin_episodes"].append({**key, **{f: _child_text(details, f) for f in CIN_TABLE_COLUMNS["cin_episodes"][2:]}})
            for a in details.iterfind("Assessments"):
                factors = [f.text.strip() for f in a.iterfind("FactorsIdentifiedAtAssessment/AssessmentFactors") if f.text and f.text.strip()]
                rows["cin_assessments"].append(
                    {
                        **key,
                        "AssessmentActualStartDate": _child_text(a, "AssessmentActualStartDate"),
                        "AssessmentAuthorisationDate": _child_text(a, "AssessmentAuthorisationDate"),
                        "AssessmentFactors": ",".join(factors) or None,
                    }
                )
            for p in details.iterfind("CINPlanDates"):
                rows["cin_plans"].append({**key, **{f: _child_text(p, f) for f in CIN_TABLE_COLUMNS["cin_plans"][2:]}})
            for s in details.iterfind("Section47"):
                rows["cin_section47"].append({**key, **{f: _child_text(s, f) for f in CIN_TABLE_COLUMNS["cin_section47"][2:]}})
            for c in details.iterfind("ChildProtectionPlans"):
                reviews = [r.text.strip() for r in c.iterfind("Reviews/CPPreviewDate") if r.text and r.text.strip()]
                plan = {f: _child_text(c, f) for f in CIN_TABLE_COLUMNS["cin_protection_plans"][2:-1]}
                rows["cin_protection_plans"].append({**key, **plan, "CPPreviewDates": ",".join(reviews) or None})
    if not rows["cin_children"]:
        raise FileRejected(path, "CIN census message has no <Child> records")
    frames = {}
    for name, columns in CIN_TABLE_COLUMNS.items():
        frame = pl.DataFrame(rows[name], schema=dict.fromkeys(columns, pl.Utf8), orient="row")
        frames[name] = frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    return frames


CSWW_TABLES = ("csww_worker", "csww_la_level")
CSWW_REPEAT_SEPARATOR = "|"  # repeated elements joined (a qualifying institution's name may hold a comma)


def read_csww_xml(path: Path) -> dict[str, pl.DataFrame]:
    """Flatten a children's social work workforce census return into its workers (`csww_worker`, one row per
    CSWWWorker, `_row_number` its position in the file) and its LA-level vacancies (`csww_la_level`, one row).

    A repeated element (QualInst, Absat30Sept, ReasonAbsence ...) is one value, its repeats joined by `|`.
    """
    root = parse_xml(path)
    collection = root.find("Header/CollectionDetails/Collection")
    if root.tag != "Message" or root.find("CSWWWorker") is None or (collection is not None and (collection.text or "").strip() != "CSWW"):
        found = f"collection {(collection.text or '').strip()!r}" if collection is not None else f"root <{root.tag}> without <CSWWWorker>"
        raise FileRejected(path, f"not a children's social work workforce census message: {found}")
    vacancies = root.findall("LALevelVacancies")
    if len(vacancies) != 1:
        raise FileRejected(path, f"a CSWW return holds one <LALevelVacancies>, this one {len(vacancies)}")
    workers = []
    for worker in root.iterfind("CSWWWorker"):
        record = {}
        for column in CSWW_WORKER_COLUMNS:
            values = [e.text.strip() for e in worker.iterfind(column) if e.text and e.text.strip()]
            record[column] = (CSWW_REPEAT_SEPARATOR.join(values) if column in CSWW_REPEATING else values[0]) if values else None
        workers.append(record)
    rows = {"csww_worker": workers, "csww_la_level": [{c: _child_text(vacancies[0], c) for c in CSWW_LA_LEVEL_COLUMNS}]}
    frames = {}
    for name, columns in (("csww_worker", CSWW_WORKER_COLUMNS), ("csww_la_level", CSWW_LA_LEVEL_COLUMNS)):
        frame = pl.DataFrame(rows[name], schema=dict.fromkeys(columns, pl.Utf8), orient="row")
        frames[name] = frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    return frames
