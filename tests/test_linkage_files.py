"""`hearth link persons` on an analyst's own file: column mapping, the strongest link's
probability, files too small to train on, and clear errors for files it cannot use."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from linkage.files import MIN_TRAINING_RECORDS, file_nodes, link_file, link_nodes
from linkage.model import default_person_model
from linkage.persons import PersonLinkageSettings

# Two people written twice each, as two systems would: case, date format and postcode spacing differ.
ROWS = {
    "given": ["Amara", "AMARA", "Tomasz", "Tomasz", "Eilidh"],
    "family": ["Okafor", "Okafor", "Nowak", "Nowak", "Grant"],
    "born": ["2011-03-04", "04/03/2011", "2009-12-30", "20091230", "2015-06-01"],
    "pc": ["LS6 2AB", "ls62ab", "M14 5RT", "M14 5RT", "EH1 1AA"],
}
COLUMNS = {"first_name": "given", "last_name": "family", "dob": "born", "postcode": "pc"}
SECRET = "a-test-secret"


def test_a_files_own_column_names_map_onto_ours_and_every_row_gets_a_key(tmp_path: Path) -> None:
    pl.DataFrame(ROWS).write_csv(tmp_path / "in.csv")
    summary = link_file(tmp_path / "in.csv", tmp_path / "out.csv", SECRET, columns=COLUMNS)
    out = pl.read_csv(tmp_path / "out.csv")
    assert out.columns == [*ROWS, "person_key", "match_probability"]
    assert out["given"].to_list() == ROWS["given"]  # the file's rows, in order, as they were
    keys = out["person_key"].to_list()
    assert keys[0] == keys[1] != keys[2] == keys[3] and keys[4] not in keys[:4]
    assert (summary["records"], summary["persons"]) == (5, 3)
    assert out["match_probability"][4] is None  # linked to nothing
    assert out["match_probability"][:4].min() >= summary["threshold"]


def test_a_file_too_small_to_train_on_links_with_the_saved_model() -> None:
    nodes = file_nodes(pl.DataFrame(ROWS).rename({ours: theirs for theirs, ours in COLUMNS.items()}), Path("five_rows.csv"))
    links, summary = link_nodes(nodes, PersonLinkageSettings(), default_person_model(), SECRET, train=True)
    assert summary["model"].startswith("saved model") and f"fewer than {MIN_TRAINING_RECORDS:,}" in summary["model"]
    assert links["person_key"].n_unique() == 3


def test_a_file_with_no_usable_column_is_refused_with_what_it_has(tmp_path: Path) -> None:
    pl.DataFrame({"surname_only_here": ["Okafor"], "town": ["Leeds"]}).write_csv(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match=r"bad\.csv: no usable columns.*--columns.*found surname_only_here, town"):
        link_file(tmp_path / "bad.csv", tmp_path / "out.csv", SECRET)
    assert not (tmp_path / "out.csv").exists()


def test_columns_naming_what_the_file_lacks_or_we_do_not_know_are_refused(tmp_path: Path) -> None:
    pl.DataFrame(ROWS).write_csv(tmp_path / "in.csv")
    with pytest.raises(ValueError, match=r"maps unknown names forename .*names columns the file lacks: dob_text"):
        link_file(tmp_path / "in.csv", tmp_path / "out.csv", SECRET, columns={"forename": "given", "dob": "dob_text"})


def test_a_two_row_file_links_its_one_pair_at_the_threshold_it_sets() -> None:
    """One pair: the threshold is its own probability, and the pair at the threshold is accepted
    (a threshold written into SQL as a decimal once missed it by the last bit)."""
    rows = pl.DataFrame({"first_name": ["Amara", "Amara"], "last_name": ["Okafor", "Okafar"], "dob": ["2011-03-04", "04/03/2011"]})
    links, summary = link_nodes(file_nodes(rows, Path("two_rows.csv")), PersonLinkageSettings(), default_person_model(), SECRET)
    assert summary["splink_pairs"] == 1 and summary["uncertain_pairs"] == 0
    assert links["person_key"].n_unique() == 1
    assert links["match_probability"].to_list() == [summary["threshold"]] * 2


def test_hearth_link_persons_refuses_to_run_without_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from hearth.cli import main

    monkeypatch.delenv("HEARTH_PSEUDONYM_SECRET", raising=False)
    pl.DataFrame(ROWS).write_csv(tmp_path / "in.csv")
    files = ["--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv")]
    arguments = ["link", "persons", *files, "--columns", "first_name=given,last_name=family"]
    assert main(arguments) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("hearth link persons: HEARTH_PSEUDONYM_SECRET is not set") and "\n" not in message
    assert not (tmp_path / "out.csv").exists()
