"""Reading landed extracts exactly as received, refusing whole files that cannot be read safely.

Every value is read as text: the raw layer keeps what the source sent, and typing is the job of
dbt staging. A file is refused as a whole (FileRejected, naming the file and the problem) when
it is empty, not UTF-8, not well-formed XML, or its header lacks or renames expected columns.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl

_HASH_CHUNK_BYTES = 1024 * 1024
ROW_NUMBER = "_row_number"


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


def _text(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected(path, "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(path, "wrong encoding: UTF-16 byte-order mark, expected UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(path, f"wrong encoding: not valid UTF-8 at byte {exc.start}") from exc
    return data


def read_csv_extract(path: Path, expected: tuple[str, ...]) -> pl.DataFrame:
    """The rows of a CSV extract as text, numbered from 1, with blank fields as nulls."""
    data = _text(path)
    try:
        header = [h.strip().lstrip("\ufeff") for h in pl.read_csv(data, n_rows=0, infer_schema=False).columns]
    except pl.exceptions.ComputeError as exc:
        raise FileRejected(path, f"not a well-formed CSV header: {exc}") from exc
    missing = [c for c in expected if c not in header]
    unexpected = [c for c in header if c not in expected]
    if missing:
        extra = f"; unexpected column(s) {', '.join(unexpected)} (renamed?)" if unexpected else ""
        raise FileRejected(path, f"missing column(s) {', '.join(missing)}{extra}")
    if unexpected:
        raise FileRejected(path, f"unexpected column(s) {', '.join(unexpected)}")
    try:
        frame = pl.read_csv(data, infer_schema=False)
    except pl.exceptions.ComputeError as exc:
        raise FileRejected(path, f"not a well-formed CSV: {exc}") from exc
    frame = frame.select(expected).with_columns(pl.all().str.strip_chars().replace("", None))
    return frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))


def parse_xml(path: Path) -> ET.Element:
    data = _text(path)
    try:
        return ET.fromstring(data)
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
