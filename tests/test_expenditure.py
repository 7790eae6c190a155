"""LA expenditure (the s251 outturn): the file in its published layout, spend that follows the simulated activity,
totals that add up but where a logged fault says otherwise, and every fault caught by the ingestion gate or by
staging's checks, on a world whose s251 faults run at several times their default rates."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from code_lists import LOCAL_AUTHORITY_REGIONS
from code_lists import expenditure as spec
from ingestion.load import ingest
from ingestion.registry import SOURCES_BY_NAME
from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars
from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.world import generate_world

# The expenditure faults draw from the s251 writer's own stream, so raising them changes no other source. 6,000
# persons give the world children in residential care as well as in foster care.
CONFIG = WorldConfig(
    persons=6000,
    seed=13,
    faults=FaultRates(
        expenditure_total_mismatch=0.05,
        expenditure_subtotal_omits_line=0.2,
        expenditure_wrong_units=0.05,
        expenditure_not_available=0.05,
        expenditure_suppressed=0.05,
    ),
)
RESIDENTIAL = ("K1", "K2", "R1", "R3", "S1", "Z1")
UNRELATED_FOSTER = ("U4", "U5", "U6")


@pytest.fixture(scope="module")
def expenditure_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(world folder: landing and truth, DuckDB file): its s251 files ingested, and staged by dbt (seeds and stg_s251__expenditure)."""
    root = tmp_path_factory.mktemp("s251")
    generate_world(CONFIG, root / "landing", root / "truth")
    database = root / "hearth.duckdb"
    with duckdb.connect(str(database)) as con:
        ingest(con, SOURCES_BY_NAME["s251"], list(CONFIG.years), root / "landing", "test")
    build = subprocess.run(
        ["dbt", "build", "--select", "+stg_s251__expenditure", "--profiles-dir", ".", "--target-path", str(root / "target"), *dbt_warehouse_vars(database)],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # The totals checks warn (the faults are there to be found); nothing may fail.
    assert build.returncode == 0 and "ERROR=0" in build.stdout and "WARN=2" in build.stdout, build.stdout[-4000:]
    return root, database


def published(root: Path) -> pl.DataFrame:
    """Every row of every year's file as written, with its file, row number and line number."""
    frames = []
    for path in sorted((root / "landing" / "s251").rglob("*.csv")):
        frame = pl.read_csv(path, infer_schema=False).with_row_index("row", offset=1)
        frames.append(frame.with_columns(pl.lit(str(path.relative_to(root / "landing"))).alias("file"), pl.col("row").cast(pl.Int64)))
    out = pl.concat(frames)
    return out.with_columns(pl.col("description_of_expenditure").str.extract(r"^(\S+) ", 1).alias("line"))


def s251_faults(root: Path) -> pl.DataFrame:
    return pl.read_parquet(root / "truth" / "faults.parquet").filter(pl.col("table") == "s251")


def staged(database: Path) -> pl.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql("select * from staging.stg_s251__expenditure").pl()


def figure(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int64, strict=False)


def test_each_year_is_one_national_file_in_the_published_layout(expenditure_world) -> None:
    root, _ = expenditure_world
    files = sorted((root / "landing" / "s251").rglob("*.csv"))
    assert [str(p.relative_to(root / "landing")) for p in files] == [
        f"s251/{year}/s251_childrens_young_peoples_services_la_regional_national.csv" for year in CONFIG.years
    ]
    for path in files:
        assert path.read_text(encoding="utf-8").splitlines()[0].split(",") == list(spec.COLUMNS)
    rows = published(root)
    year = pl.col("file").str.extract(r"/(\d{4})/", 1).cast(pl.Int64)
    assert (rows["time_period"] == rows.select(pl.format("{}{}", year - 1, (year % 100).cast(pl.Utf8).str.zfill(2))).to_series()).all()
    assert set(rows["time_identifier"]) == {"Financial year"}
    assert set(rows["country_code"]) == {"E92000001"}
    # Each LA, its region and England, every line, every year: 3 LAs in 3 regions.
    per_geography = rows.group_by("file", "geographic_level", "old_la_code", "region_code").agg(pl.col("line").sort())
    assert per_geography.height == len(CONFIG.years) * 7
    assert all(lines.to_list() == sorted(line.number for line in spec.LINES) for lines in per_geography["line"])
    las = rows.filter(pl.col("geographic_level") == "Local authority").select("old_la_code", "new_la_code", "la_name", "region_code", "region_name").unique()
    expected = {(str(la.code), la.ons_code, la.name, *LOCAL_AUTHORITY_REGIONS[la.code]) for la in CONFIG.local_authorities}
    assert set(las.rows()) == expected
    # The columns a line has no figure for hold x, as the published file writes them (youth justice has no provider split).
    youth_justice = rows.filter(pl.col("line") == "3.6.1")
    assert (youth_justice["own_provision"] == "x").all() and youth_justice["total_expenditure"].str.contains(r"^\d+$").all()
    assert (rows.filter(pl.col("line").is_in(["5.0.2", "5.0.3"]))["income"] == "x").all()


def test_regional_and_national_rows_are_sums_over_the_worlds_las(expenditure_world) -> None:
    """They sum the LAs' true figures, so they agree with the LAs' rows wherever no fault changed one."""
    root, _ = expenditure_world
    rows = published(root)
    faulted = s251_faults(root).filter(pl.col("fault") != "category_label_typo").select("file", "row")
    clean_la = rows.filter(pl.col("geographic_level") == "Local authority").join(faulted, on=["file", "row"], how="anti")
    clean_lines = clean_la.group_by("file", "line").len().filter(pl.col("len") == len(CONFIG.local_authorities)).select("file", "line")
    sums = clean_la.join(clean_lines, on=["file", "line"]).group_by("file", "line").agg(figure("total_expenditure").sum().alias("la_sum"))
    national = rows.filter(pl.col("geographic_level") == "National").select("file", "line", figure("total_expenditure").alias("national"))
    joined = sums.join(national, on=["file", "line"])
    assert joined.height > 100
    assert (joined["la_sum"] == joined["national"]).all()
    # Each region here has one LA of the world.
    regional = rows.filter(pl.col("geographic_level") == "Regional").select("file", "line", "region_code", figure("net_current_expenditure").alias("regional"))
    la_net = clean_la.select("file", "line", "region_code", figure("net_current_expenditure").alias("la"))
    pairs = regional.join(la_net, on=["file", "line", "region_code"]).drop_nulls()
    assert pairs.height > 300 and (pairs["regional"] == pairs["la"]).all()


def _looked_after_days(root: Path) -> pl.DataFrame:
    """Days looked after per LA, collection year and placement, from the SSDA903 episodes (each episode as its latest return has it)."""
    files = sorted((root / "landing" / "ssda903").rglob("*_episodes.csv"))
    episodes = pl.concat(
        [
            pl.read_csv(f, infer_schema=False).with_columns(pl.lit(f.name.split("_")[1]).alias("la"), pl.lit(int(f.name.split("_")[2])).alias("return"))
            for f in files
        ]
    )
    episodes = episodes.sort("return", descending=True).unique(["la", "CHILD", "DECOM"], keep="first")
    episodes = episodes.with_columns(pl.col(c).str.strptime(pl.Date, "%d/%m/%Y", strict=False) for c in ("DECOM", "DEC"))
    frames = []
    for year in CONFIG.years:
        first, after = date(year - 1, 4, 1), date(year, 4, 1)
        days = (pl.min_horizontal(pl.col("DEC").fill_null(after), pl.lit(after)) - pl.max_horizontal(pl.col("DECOM"), pl.lit(first))).dt.total_days().clip(0)
        frames.append(episodes.select("la", "PLACE", days.alias("days"), pl.lit(year).alias("year")))
    return pl.concat(frames).group_by("la", "year", "PLACE").agg(pl.col("days").sum())


def _line_totals(root: Path, line: str) -> pl.DataFrame:
    """An LA-level line's total per LA and collection year, from the rows whose total no fault changed or hid."""
    rows = published(root).filter((pl.col("geographic_level") == "Local authority") & (pl.col("line") == line))
    changed = s251_faults(root).filter(~pl.col("fault").is_in(["category_label_typo", "value_suppressed"])).select("file", "row")
    rows = rows.join(changed, on=["file", "row"], how="anti")
    return rows.select(pl.col("old_la_code").alias("la"), pl.col("file").str.extract(r"/(\d{4})/", 1).cast(pl.Int32).alias("year"), figure("total_expenditure"))


def test_looked_after_spend_follows_the_days_looked_after_and_residential_care_costs_most(expenditure_world) -> None:
    """Across LAs and years, looked-after spend is a fixed part (care leavers, special guardianship, adoption support)
    plus a cost per day of each kind of placement, as the SSDA903 returns count the days: a day in a children's home
    costs several times a day in foster care."""
    root, _ = expenditure_world
    days = _looked_after_days(root).with_columns(pl.col("year").cast(pl.Int32))
    kind = pl.when(pl.col("PLACE").is_in(RESIDENTIAL)).then(pl.lit("residential"))
    kind = kind.when(pl.col("PLACE").is_in(UNRELATED_FOSTER)).then(pl.lit("foster")).otherwise(pl.lit("other"))
    by_kind = days.with_columns(kind.alias("kind")).group_by("la", "year", "kind").agg(pl.col("days").sum())
    wide = by_kind.pivot(on="kind", index=["la", "year"], values="days")
    looked_after = _line_totals(root, "3.1.11").join(wide, on=["la", "year"], how="left").fill_null(0)
    assert looked_after.height >= 10 and looked_after["residential"].sum() > 500 and looked_after["foster"].sum() > 2000
    days_of = looked_after.select(pl.lit(1.0), "residential", "foster", "other").to_numpy().astype(float)
    spend = looked_after["total_expenditure"].to_numpy().astype(float)
    fitted = np.linalg.lstsq(days_of, spend, rcond=None)[0]
    _, residential, foster, _ = fitted
    explained = 1 - ((spend - days_of @ fitted) ** 2).sum() / ((spend - spend.mean()) ** 2).sum()
    assert explained > 0.8
    assert 300 < residential < 1500 and 30 < foster < 250 and residential > 4 * foster


def test_a_looked_after_child_costs_far_more_than_a_child_in_need(expenditure_world) -> None:
    """Per day looked after, the looked-after lines cost several times what safeguarding costs per day in need,
    as nationally (£7.0bn over about 30.6 million days against £3.3bn over about 147 million)."""
    root, _ = expenditure_world
    rows = published(root).filter(pl.col("geographic_level") == "National")
    spend = {line: rows.filter(pl.col("line") == line).select(figure("total_expenditure").sum()).item() for line in ("3.1.11", "3.3.4", "5.0.2")}
    looked_after_days = _looked_after_days(root)["days"].sum()
    in_need_days = _in_need_days(root)
    assert in_need_days > 3 * looked_after_days > 3000
    assert spend["3.1.11"] / looked_after_days > 5 * spend["3.3.4"] / in_need_days
    # Together the two are most of the spend, as in the national outturn (78% in 2022-23).
    assert 0.5 < (spend["3.1.11"] + spend["3.3.4"]) / spend["5.0.2"] < 0.9


def _in_need_days(root: Path) -> int:
    """Child-in-need days in the collection years, from the CIN census returns' referral and closure dates."""
    total = 0
    for year in CONFIG.years:
        first, after = date(year - 1, 4, 1), date(year, 4, 1)
        for path in sorted((root / "landing" / "cin_census" / str(year)).glob("*.xml")):
            for details in ET.parse(path).getroot().iter("CINdetails"):
                start = date.fromisoformat(details.findtext("CINreferralDate"))
                closure = details.findtext("CINclosureDate")
                end = date.fromisoformat(closure) if closure else after
                total += max(0, (min(end, after) - max(start, first)).days)
    return total


def test_totals_are_the_sum_of_their_parts_except_where_a_fault_is_logged(expenditure_world) -> None:
    root, _ = expenditure_world
    rows = published(root).filter(pl.col("geographic_level") == "Local authority")
    faulted = s251_faults(root).filter(pl.col("fault") != "category_label_typo").select("file", "row", "fault")
    rows = rows.join(faulted, on=["file", "row"], how="left")
    # Each line's total is the sum of its provision columns, but where a total_not_sum_of_parts is logged.
    full = rows.filter(pl.col("own_provision").str.contains(r"^\d+$") & pl.col("private_provision").str.contains(r"^\d+$"))
    full = full.filter(pl.col("other_public_sector_provision").str.contains(r"^\d+$") & pl.col("voluntary_provision").str.contains(r"^\d+$"))
    adds_up = figure("total_expenditure") == sum(figure(c) for c in spec.PROVISION_COLUMNS)
    assert full.filter(~adds_up)["fault"].to_list() == ["total_not_sum_of_parts"] * full.filter(~adds_up).height
    assert full.filter(adds_up).height > 400 and full.filter(~adds_up).height >= 3
    # Each subtotal and total is the sum of its lines in every group of an LA and year with no fault in it.
    parent = pl.col("line").replace_strict({line.number: line.parent for line in spec.LINES}, default=None)
    children = rows.with_columns(parent.alias("parent")).filter(pl.col("parent").is_not_null())
    sums = children.group_by("file", "old_la_code", "parent").agg(
        figure("total_expenditure").sum().alias("lines_total"), pl.col("fault").is_not_null().any().alias("line_faulted")
    )
    checked = sums.join(rows, left_on=["file", "old_la_code", "parent"], right_on=["file", "old_la_code", "line"])
    clean = checked.filter(~pl.col("line_faulted") & pl.col("fault").is_null())
    assert clean.height > 40
    assert (clean["lines_total"] == clean.select(figure("total_expenditure")).to_series()).all()
    wrong = checked.filter(pl.col("lines_total") != figure("total_expenditure"))
    assert wrong.height >= 3 and (wrong["line_faulted"] | wrong["fault"].is_not_null()).all()


def test_every_logged_fault_is_caught_by_the_gate_or_by_staging(expenditure_world) -> None:
    root, database = expenditure_world
    faults = s251_faults(root)
    kinds = set(faults["fault"])
    expected = {"category_label_typo", "total_not_sum_of_parts", "subtotal_omits_line", "wrong_units", "value_not_available", "value_suppressed"}
    assert expected <= kinds and kinds <= expected | {"out_of_list_code"}
    with duckdb.connect(str(database), read_only=True) as con:
        quarantined = con.sql("select source_file as file, row_number as row, rule from quarantine.rejected_rows where table_name = 's251'").pl()
        loaded = con.sql("select _source_file as file, _row_number as row from raw.s251").pl()
    rows = staged(database).rename({"source_file": "file", "row_number": "row"})
    # Out-of-list categories are held back by the gate, and nothing else is.
    out_of_list = faults.filter(pl.col("fault") == "out_of_list_code").select("file", "row")
    assert out_of_list.height > 0 and sorted(out_of_list.rows()) == sorted(quarantined.select("file", "row").unique().rows())
    assert set(quarantined["rule"]) <= {"code_list:s251 category of expenditure"}
    at_row = faults.join(rows, on=["file", "row"], how="left")
    # The releases' typo: loaded, and family support after staging.
    typo = at_row.filter(pl.col("fault") == "category_label_typo")
    assert typo.height > 100 and typo.join(loaded, on=["file", "row"]).height == typo.height
    la_typo = typo.filter(pl.col("la_code").is_not_null())
    assert la_typo.height > 40 and (la_typo["category_code"] == "family_support").all()
    assert (la_typo["category_as_published"] == "Family support servcies").all()
    for fault, check in (("total_not_sum_of_parts", "parts_add_up"), ("subtotal_omits_line", "lines_add_up")):
        flags = at_row.filter(pl.col("fault") == fault)[check].to_list()
        assert flags and flags == [False] * len(flags), fault
    not_returned = at_row.filter(pl.col("fault") == "value_not_available")
    assert not_returned.height > 0 and not_returned["record_id"].is_not_null().all() and not_returned["total_expenditure"].is_null().all()
    assert not_returned["value_status"].str.contains("total_expenditure:x").all()
    suppressed = at_row.filter(pl.col("fault") == "value_suppressed")
    assert suppressed.height > 0 and all(f"{field}:c" in status for field, status in suppressed.select("field", "value_status").iter_rows())
    # A line in £ thousands shows where its subtotal no longer adds up.
    parent_of = {line.number: line.parent for line in spec.LINES}
    units = at_row.filter(pl.col("fault") == "wrong_units").select("file", "la_code", pl.col("line_number").replace_strict(parent_of).alias("line_number"))
    flagged_parents = units.join(rows, on=["file", "la_code", "line_number"])
    assert flagged_parents.height == units.height > 0 and flagged_parents["lines_add_up"].to_list() == [False] * units.height
    # And every row staging flags is a faulted row, or a subtotal or total above one.
    faulted = at_row.filter(pl.col("la_code").is_not_null() & (pl.col("fault") != "category_label_typo")).select("file", "la_code", "line_number")
    ancestors = [faulted]
    for _ in range(3):
        ancestors.append(ancestors[-1].with_columns(pl.col("line_number").replace_strict(parent_of, default=None)).drop_nulls())
    explained = pl.concat(ancestors).unique()
    flagged = rows.filter((pl.col("parts_add_up") == False) | (pl.col("lines_add_up") == False)).select("file", "la_code", "line_number")  # noqa: E712
    assert flagged.height >= faults.filter(pl.col("fault").is_in(["total_not_sum_of_parts", "subtotal_omits_line", "wrong_units"])).height
    assert flagged.join(explained, on=["file", "la_code", "line_number"], how="anti").is_empty()


def test_ingestion_reconciles_and_staging_keeps_every_local_authority_row(expenditure_world) -> None:
    root, database = expenditure_world
    rows = published(root)
    with duckdb.connect(str(database), read_only=True) as con:
        files = con.sql("select source_file, rows_read, rows_loaded, rows_quarantined from audit.ingested_files where table_name = 's251'").pl()
        raw_la = con.sql("select count(*) from raw.s251 where geographic_level = 'Local authority'").fetchone()[0]
    assert files.height == len(CONFIG.years)
    for file, read, loaded, quarantined in files.iter_rows():
        assert read == loaded + quarantined == rows.filter(pl.col("file") == file).height
    stage = staged(database)
    assert stage.height == raw_la and stage["record_id"].n_unique() == stage.height
    assert set(stage["la_code"]) == {str(la.code) for la in CONFIG.local_authorities}
    assert sorted(set(stage["financial_year"])) == [f"{y - 1}-{y % 100:02d}" for y in CONFIG.years]
    assert stage.select("la_code", "collection_year", "line_number").is_duplicated().sum() == 0
    # The line's category agrees with the harmonised label, and every figure is a number or a symbol's null.
    category_of_line = pl.col("line_number").replace_strict({line.number: line.category for line in spec.LINES})
    assert (stage["category_code"] == stage.select(category_of_line).to_series()).all()
    assert stage.filter(pl.col("total_expenditure").is_null() & pl.col("value_status").is_null()).is_empty()


def test_staging_gives_childrens_social_care_spend_and_its_parts_per_la_and_year(expenditure_world) -> None:
    """What a mart of spend per child in need takes: per LA and financial year, the category totals of children's
    social care (looked after, safeguarding, family support, other children and family services)."""
    _, database = expenditure_world
    stage = staged(database)
    care = stage.filter(pl.col("is_category_total") & pl.col("in_childrens_social_care"))
    per_la_year = care.group_by("la_code", "financial_year").agg(pl.col("category_code").sort(), pl.col("total_expenditure").sum())
    assert per_la_year.height == len(CONFIG.local_authorities) * len(CONFIG.years)
    full = per_la_year.filter(pl.col("category_code").list.len() == 4)
    assert full.height >= 12
    assert set(full["category_code"].list.join(",")) == {"children_looked_after,family_support,other_children_and_family_services,safeguarding"}
    totals = stage.filter(pl.col("line_number") == "5.0.2").select("la_code", "financial_year", pl.col("total_expenditure").alias("all_services"))
    shares = full.join(totals, on=["la_code", "financial_year"]).with_columns((pl.col("total_expenditure") / pl.col("all_services")).alias("share"))
    # Children's social care is most of an LA's spend on children's services (84% of 5.0.2 nationally in 2022-23).
    assert shares.height >= 12 and shares["share"].median() > 0.6 and (shares["share"] < 1.5).all()


def test_the_gate_refuses_a_row_whose_figure_or_level_is_not_in_the_list(expenditure_world, tmp_path: Path) -> None:
    root, _ = expenditure_world
    source = root / "landing" / "s251" / "2022" / "s251_childrens_young_peoples_services_la_regional_national.csv"
    rows = pl.read_csv(source, infer_schema=False).filter(pl.col("geographic_level") == "Local authority").head(6)
    rows = rows.with_columns(
        pl.Series("own_provision", ["1,234", "£5", *rows["own_provision"].to_list()[2:]]),
        pl.Series("geographic_level", [*rows["geographic_level"].to_list()[:2], "County", *rows["geographic_level"].to_list()[3:]]),
        pl.Series("time_period", [*rows["time_period"].to_list()[:3], "202223", *rows["time_period"].to_list()[4:]]),
        pl.Series("total_expenditure", [*rows["total_expenditure"].to_list()[:4], "c", "z"]),
    )
    folder = tmp_path / "landing" / "s251" / "2022"
    folder.mkdir(parents=True)
    rows.write_csv(folder / source.name)
    with duckdb.connect(str(tmp_path / "gate.duckdb")) as con:
        ingest(con, SOURCES_BY_NAME["s251"], [2022], tmp_path / "landing", "gate")
        rejected = con.sql("select row_number, rule from quarantine.rejected_rows order by row_number, rule").fetchall()
        assert con.sql("select count(*) from raw.s251").fetchone()[0] == 2  # the symbols are figures the file may hold
    assert rejected == [
        (1, "amount_or_ees_symbol"),
        (2, "amount_or_ees_symbol"),
        (3, "code_list:EES geographic level"),
        (4, "time_period_of_collection_year"),
    ]
