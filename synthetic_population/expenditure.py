"""LA expenditure on children's and young people's services, in the layout of the section 251 outturn.

One national file per financial year (`s251/<year>/s251_childrens_young_peoples_services_la_regional_national.csv`,
the year being the financial year's end) with a row per line (`code_lists.expenditure.LINES`) for every LA of the
world, and the regional and national rows as sums over the world's LAs (so they cover the synthetic world only).

Spend follows what the simulation did in each LA and year, not the size of the real LA: days looked after by
placement and provider, children in need, protection plans and section 47 enquiries, care leavers, special
guardianship orders from care, children of each age group living there, and the offences its youth offending
team recorded. Unit costs are the DfE's 2022-23 national outturn divided by the national activity that drives
each line (see `UNIT_COSTS`), deflated for earlier years; an LA's split between its own, private, other public
and voluntary provision follows its placements' providers, and elsewhere the national shares.

The LAs' rows carry the faults users of the published file meet, each logged in the truth: a total that is not
the sum of its provision columns, a subtotal that leaves a line out, a line returned in £ thousands, a line not
returned (x) or a figure suppressed (c), a category outside the list, and the releases' "Family support servcies".
The draws come from a stream of their own, so no other source's files change.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

import code_lists as codes
from code_lists import expenditure as spec

from .dynamics import day_number
from .faults import OUT_OF_LIST
from .population import DAYS_PER_YEAR
from .services import at_dates, covering

if TYPE_CHECKING:
    from .extracts import ExtractWriter

EXPENDITURE_STREAM = 251
TABLE = "s251"  # the raw table, and the table its faults are logged against
FILE_NAME = "s251_childrens_young_peoples_services_la_regional_national.csv"
PRICE_YEAR = 2023  # the unit costs are of FY2022-23
# Children's services costs rose faster than prices (residential placements most): an assumption of 5% a year.
ANNUAL_COST_GROWTH = 0.05

# The national outturn of FY2022-23 (s251 file above, geographic_level National, in £): own, private, other public,
# voluntary provision, total, income, grants inside and outside AEF. Shares of provision, income and grants come from it.
NATIONAL_2022_23: dict[str, tuple[int, ...]] = {
    "3.0.1": (250578535, 16485428, 12818385, 53240436, 333122784, 50035919, 10938601, 942338),
    "3.0.2": (57538156, 7317118, 2227104, 5534764, 72617142, 5640298, 4642369, 523968),
    "3.0.3": (30108123, 331925, 2161, 18185, 30460394, 2078217, 757642, 0),
    "3.0.4": (79905537, 2621422, 5436979, 2285303, 90249242, 22656107, 2139796, 1667637),
    "3.1.1": (579237508, 1837794554, 95373990, 35799255, 2548205306, 166342873, 47524612, 1094624),
    "3.1.2a": (377681559, 744638951, 44674783, 29947800, 1196943093, 16958148, 20790195, 597263),
    "3.1.2b": (622028684, 148276318, 11566094, 5414325, 787285421, 7355015, 12082808, 420942),
    "3.1.3": (251070539, 42182228, 42481981, 5228428, 340963176, 54605277, 13890507, 1729030),
    "3.1.4": (338956932, 57065436, 8960704, 8654468, 413637540, 1015003, 3208817, 13494),
    "3.1.5": (226197776, 308532035, 12517863, 7838549, 555086222, 34772737, 42147333, 770937),
    "3.1.6": (34902377, 11310445, 610831, 765956, 47589610, 1977683, 763407, 163430),
    "3.1.7": (127087375, 21120444, 3937121, 4720579, 156865519, 800853, 156863, 29161),
    "3.1.8": (66335198, 4682465, 3301781, 104140, 74423584, 19783427, 18141118, 2891494),
    "3.1.9": (380443460, 238200334, 23161623, 5692540, 647497958, 38803593, 72170320, 9308323),
    "3.1.10": (136398469, 118321703, 7553275, 1166875, 263440321, 49338882, 184861874, 15245479),
    "3.2.1": (89775305, 27098679, 7535673, 4596028, 129005684, 18189192, 10192659, 7123500),
    "3.3.1": (2687913307, 132590100, 78667100, 4365363, 2903535870, 76290098, 68714115, 4067779),
    "3.3.2": (275360816, 27316385, 8703805, 1671916, 313052921, 43017547, 7988293, 2663909),
    "3.3.3": (40144746, 2643496, 3360885, 28002, 46177129, 17068129, 1196453, 66470),
    "3.4.1": (109725318, 52355692, 4505347, 3625765, 170212121, 13551187, 352138, 0),
    "3.4.2": (167765499, 57032888, 10774479, 17611204, 253184070, 24903725, 1403051, 61341),
    "3.4.3": (43739398, 21574982, 3146696, 523456, 68984531, 6338287, 19070, 0),
    "3.4.4": (788995650, 121676549, 63220575, 17399022, 991291795, 132695226, 192460969, 28426949),
    "3.4.5": (98095295, 8645648, 1458612, 1097797, 109297353, 18437829, 12498818, 25614),
    "3.5.1": (150610115, 16187638, 7980397, 12885968, 187664117, 35114213, 14556505, 1408514),
    "3.5.2": (234047988, 11414742, 9754461, 5282734, 260499926, 45045152, 22983154, 3202767),
}
# Lines without a provider breakdown: (total, income) of FY2022-23.
NATIONAL_GROSS_2022_23 = {"3.6.1": (298685784, 144873856), "4.0.1": (18716131, 5616674)}
# The memo lines, as shares of 3.5.3 (£448,164,043 in 2022-23): substance misuse £8,568,493, teenage pregnancy £2,070,861.
MEMO_SHARE_OF_YOUNG_PEOPLE = {"8a.1": 8568493 / 448164043, "8a.2": 2070861 / 448164043}

# £ per unit of activity a year (per day for days), FY2022-23: each line's national outturn above over the national
# activity that drives it. The activity is England's in 2022-23, approximately: 12.1 million residents aged 0-17
# (the file's £1,012 net spend per head of 5.0.2), 3.2 million aged 0-4, 5.6 million aged 10-17 and 4.9 million aged
# 13-19 (ONS mid-2022 estimates, rounded); 83,840 children looked after at 31 March 2023, about 30.6 million days
# (DfE, Children looked after in England including adoptions 2023), of which about 10,000 in children's homes and
# other residential care, 45,000 with unrelated foster carers (60% the LA's own), 11,000 with family and friends,
# 2,000 placed for adoption and 3,000 in semi-independent accommodation; 7,290 unaccompanied asylum-seeking
# children; 403,090 children in need and 50,780 on protection plans at 31 March and about 200,000 section 47
# enquiries in the year (DfE, Characteristics of children in need 2023); about 31,000 proven offences by children
# (YJB, Youth justice statistics 2022-23). Where a line has two drivers, the split between them is an assumption,
# and so are the costs of care leavers and special guardianship support per child (no national count was at hand).
UNIT_COSTS: dict[str, dict[str, float]] = {
    "3.0.1": {"under_fives": 104.0},
    "3.0.2": {"under_fives": 23.0},
    "3.0.3": {"under_fives": 9.5},
    "3.0.4": {"under_fives": 28.0},
    "3.1.3": {"children": 19.0},  # adoption services beyond the placements (recruitment, assessment, support)
    "3.1.4": {"special_guardianship": 9_800.0},
    "3.1.5": {"looked_after_days": 12.0},
    "3.1.6": {"looked_after_days": 1.56},
    "3.1.8": {"looked_after_days": 2.43},
    "3.1.9": {"care_leavers": 10_800.0},
    "3.1.10": {"asylum_days": 99.0},
    "3.2.1": {"children": 10.7},
    # Social work: an open child-in-need case, with more for a protection plan and for each enquiry (split assumed).
    "3.3.1": {"in_need_days": 15.0, "protection_days": 20.0, "enquiries": 1_500.0},
    "3.3.2": {"children": 25.9},
    "3.3.3": {"children": 3.8},
    "3.4.1": {"children": 14.1},
    "3.4.2": {"children": 20.9},
    "3.4.3": {"children": 5.7},
    "3.4.4": {"in_need_days": 3.0, "children": 45.0},  # targeted family support: children in need and early help (split assumed)
    "3.4.5": {"children": 9.0},
    "3.5.1": {"young_people": 38.0},
    "3.5.2": {"young_people": 53.0},
    "3.6.1": {"youth_justice_age": 27.0, "offences": 4_800.0},  # the youth offending team's prevention and its cases (split assumed)
}
# £ per day of each placement, FY2022-23, charged to the line shown: 3.1.1 £2,548m over about 10,000 children in
# residential care (£700 a day; the NAO put a children's home place at £318,400 a year in 2023-24), a secure
# children's home about twice that (assumption); fostering 3.1.2b £787m of fees and allowances over the LA's own
# carers' 27,000 children (£65 a day, and £15 of the LA's support in 3.1.2a) and 3.1.2a's private and voluntary
# £775m over agencies' 18,000 (£140 a day, about £980 a week; PSSRU's Unit Costs of Health and Social Care 2017
# put foster care at £646 a child a week with its social work, pssru.ac.uk, 19 February 2018); family and friends
# 3.1.7 £157m over 11,000 (£40); adoption placements £150 a day of 3.1.3 (assumption); semi-independent
# accommodation £200 a day and independent living £60 of 3.1.5 (assumptions). Placements in hospital or custody (R2, R5) and with parents
# (P1) cost children's services no placement.
_UNRELATED_FOSTER, _KIN_FOSTER, _ADOPTION = ("U4", "U5", "U6"), ("U1", "U2", "U3"), ("A3", "A4", "A5", "A6")
PLACEMENT_COSTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None, float], ...] = (
    ("3.1.1", ("K2", "R1", "S1", "Z1"), None, 700.0),
    ("3.1.1", ("R3",), None, 500.0),
    ("3.1.1", ("K1",), None, 1_400.0),
    ("3.1.2b", _UNRELATED_FOSTER, ("PR1",), 65.0),
    ("3.1.2a", _UNRELATED_FOSTER, ("PR1",), 15.0),
    ("3.1.2a", _UNRELATED_FOSTER, ("PR2", "PR3", "PR4", "PR5"), 140.0),
    ("3.1.7", _KIN_FOSTER, None, 40.0),
    ("3.1.3", _ADOPTION, None, 150.0),
    ("3.1.5", ("H5",), None, 200.0),
    ("3.1.5", ("P2",), None, 60.0),
)
# Provider code -> provision column (own, private, other public, voluntary): parents and the LA's own carers are
# the LA's own provision; another LA's is other public sector provision.
PROVISION_OF_PROVIDER = {"PR0": 0, "PR1": 0, "PR2": 2, "PR3": 2, "PR4": 1, "PR5": 3}
# Reasons a period of care ended in a special guardianship order (SSDA903).
SPECIAL_GUARDIANSHIP = ("E45", "E46")
CARE_LEAVING_AGE = 16  # a child looked after at 16 or older is owed leaving care support (Children (Leaving Care) Act 2000)
LEAVING_CARE_UNTIL = 21
# Assumptions: LAs' costs differ by about 8% (area costs); a line's spend moves about 4% from year to year beyond
# its activity; one LA in seven funds capital from revenue (CERA) in a year, £5-30 per child.
AREA_COST_SPREAD, YEAR_NOISE, CERA_CHANCE, CERA_PER_CHILD = 0.08, 0.04, 0.15, (5.0, 30.0)
# How far an LA's mix of providers strays from the national shares (Dirichlet concentration; assumption).
PROVISION_CONCENTRATION = 25.0
TYPO_LABEL = next(label for label, category in spec.CATEGORY_LABEL_VARIANTS.items() if category == "family_support")
LABEL_OF_CATEGORY = {c.code: c.label for c in spec.CATEGORIES}


def write_expenditure(writer: ExtractWriter) -> None:
    """Write the national s251 file of every collection year, with its faults and the truth of its rows."""
    ctx = writer.ctx
    rng = np.random.default_rng([ctx.config.seed, EXPENDITURE_STREAM])
    activity = la_year_activity(writer)
    true_values = outturn(rng, activity)
    rows = with_geographies(ctx, true_values, activity)
    rows = rows.with_columns(pl.Series("_rid", writer.faults.new_rids(rows.height)))
    recorded = inject_faults(writer, rng, rows)
    files = pl.Series("_file", [writer.rel(TABLE, year, FILE_NAME) for year in recorded["_year"].to_list()], dtype=pl.Utf8)
    out = recorded.with_columns(files, pl.lit(-1, dtype=pl.Int64).alias("_person"))  # a row of a table describes no person
    out = out.with_columns((pl.int_range(pl.len()).over("_file") + 1).alias("_row"))
    writer.register_records(TABLE, out)
    writer.write_csv(out, list(spec.COLUMNS), writer.every_year(TABLE, FILE_NAME))


# --- activity ------------------------------------------------------------------------------------
def la_year_activity(writer: ExtractWriter) -> pl.DataFrame:
    """One row per LA and collection year: the activity each line's spend follows, and the placement days
    by line and provision (`days:<line>:<provision>`, already priced)."""
    ctx = writer.ctx
    n_las = len(ctx.config.local_authorities)
    grid = pl.DataFrame({"la_index": np.repeat(np.arange(n_las), len(ctx.config.years)), "year": np.tile(ctx.config.years, n_las)})
    frames = [_residents(ctx), _social_care(ctx), _offences(writer)]
    out = grid
    for frame in frames:
        out = out.join(frame, on=["la_index", "year"], how="left")
    # A small world may have no looked-after child, no enquiry or no offence at all: its driver is then zero, not missing.
    drivers = dict.fromkeys(driver for costs in UNIT_COSTS.values() for driver in costs)
    out = out.with_columns(pl.lit(0, dtype=pl.Int64).alias(driver) for driver in drivers if driver not in out.columns)
    return out.fill_null(0).sort("la_index", "year")


def _financial_years(ctx) -> list[tuple[int, int, int]]:
    """(collection year, first day, day after the last) of each financial year."""
    return [(year, day_number(date(year - 1, 4, 1)), day_number(date(year, 4, 1))) for year in ctx.config.years]


def _residents(ctx) -> pl.DataFrame:
    """Residents of each LA by age group at 30 September, the middle of the financial year."""
    dob = ctx.population.persons.dob
    frames = []
    for year, _, _ in _financial_years(ctx):
        mid_year = day_number(date(year - 1, 9, 30))
        here = covering(ctx.history.spells, mid_year)
        person = here["person"].to_numpy()
        age = (mid_year - dob[person]) / DAYS_PER_YEAR
        frames.append(
            pl.DataFrame({"la_index": ctx.gazetteer.la_index[here["prop"].to_numpy()], "age": age})
            .group_by("la_index")
            .agg(
                (pl.col("age") < 18).sum().alias("children"),
                (pl.col("age") < 5).sum().alias("under_fives"),
                pl.col("age").is_between(10, 18, closed="left").sum().alias("youth_justice_age"),
                pl.col("age").is_between(13, 20, closed="left").sum().alias("young_people"),
            )
            .with_columns(pl.lit(year).alias("year"))
        )
    return pl.concat(frames, how="vertical_relaxed").with_columns(pl.col("la_index").cast(pl.Int64), pl.col("year").cast(pl.Int64))


def _overlap(start: pl.Expr, end: pl.Expr, first: int, after: int) -> pl.Expr:
    """Days of [start, end) inside [first, after)."""
    return (pl.min_horizontal(end, pl.lit(after)) - pl.max_horizontal(start, pl.lit(first))).clip(lower_bound=0)


def _social_care(ctx) -> pl.DataFrame:
    """Children in need, protection plans, enquiries, looked-after days (by placement, priced), asylum seekers, care
    leavers and special guardianship orders, each in the LA that took the referral (as its returns count them)."""
    cin = ctx.history.cin
    if cin.is_empty():
        return pl.DataFrame(schema={"la_index": pl.Int64, "year": pl.Int64})
    located = at_dates(ctx.history, cin.rename({"child": "person"}).with_columns(pl.col("referral").cast(pl.Int32)), "referral")
    cin = located.rename({"person": "child"}).with_columns(pl.Series("la_index", ctx.gazetteer.la_index[located["prop"].to_numpy()]).cast(pl.Int64))
    end_of_world = day_number(ctx.config.end) + 1
    lac = ctx.history.lac
    if not lac.is_empty():
        lac = lac.join(cin.select("child", pl.col("referral").cast(pl.Int64), "la_index"), on=["child", "referral"], how="left")
        lac = lac.with_columns(pl.col("dec").fill_null(end_of_world))
    frames = []
    for year, first, after in _financial_years(ctx):
        mid_year = day_number(date(year - 1, 9, 30))
        counts = cin.group_by("la_index").agg(
            _overlap(pl.col("referral"), pl.col("closure") + 1, first, after).sum().alias("in_need_days"),
            _overlap(pl.col("cpp_start"), pl.col("cpp_end"), first, after).filter(pl.col("cpp")).sum().alias("protection_days"),
            (pl.col("s47") & pl.col("s47_day").is_between(first, after, closed="left")).sum().alias("enquiries"),
        )
        if not lac.is_empty():
            counts = counts.join(_looked_after(ctx, lac, first, after, mid_year), on="la_index", how="full", coalesce=True)
        frames.append(counts.with_columns(pl.lit(year, dtype=pl.Int64).alias("year")))
    return pl.concat(frames, how="diagonal_relaxed").fill_null(0)


def _looked_after(ctx, lac: pl.DataFrame, first: int, after: int, mid_year: int) -> pl.DataFrame:
    days = lac.with_columns(_overlap(pl.col("decom"), pl.col("dec"), first, after).alias("days")).filter(pl.col("days") > 0)
    totals = days.group_by("la_index").agg(pl.col("days").sum().alias("looked_after_days"), pl.col("days").filter(pl.col("uasc")).sum().alias("asylum_days"))
    priced = []
    for line, places, providers, per_day in PLACEMENT_COSTS:
        chosen = days.filter(pl.col("place").is_in(places) & (pl.col("place_provider").is_in(providers) if providers else pl.lit(True)))
        priced.append(
            chosen.select(
                "la_index",
                pl.format("days:{}:{}", pl.lit(line), pl.col("place_provider").replace_strict(PROVISION_OF_PROVIDER, default=0)).alias("cost"),
                (pl.col("days") * per_day).alias("pounds"),
            )
        )
    placements = pl.concat(priced).group_by("la_index", "cost").agg(pl.col("pounds").sum())
    placements = placements.pivot(on="cost", index="la_index", values="pounds") if placements.height else placements.select("la_index")
    # Periods of care: a child leaving care at 16 or over is a care leaver to 21; one leaving on a special
    # guardianship order has its support until 18.
    dob = ctx.population.persons.dob
    periods = (
        lac.sort("decom")
        .group_by("period", maintain_order=True)
        .agg(pl.col("child").first(), pl.col("la_index").first(), pl.col("dec").last(), pl.col("rec").last())
    )
    periods = periods.with_columns(
        ((pl.col("dec") - pl.Series(dob[periods["child"].to_numpy()]).cast(pl.Int64)) / DAYS_PER_YEAR).alias("age_left"),
        ((mid_year - pl.Series(dob[periods["child"].to_numpy()]).cast(pl.Int64)) / DAYS_PER_YEAR).alias("age_now"),
    ).filter(pl.col("dec") <= mid_year)
    after_care = periods.group_by("la_index").agg(
        ((pl.col("age_left") >= CARE_LEAVING_AGE) & (pl.col("age_now") < LEAVING_CARE_UNTIL)).sum().alias("care_leavers"),
        (pl.col("rec").is_in(SPECIAL_GUARDIANSHIP) & (pl.col("age_now") < 18)).sum().alias("special_guardianship"),
    )
    return totals.join(placements, on="la_index", how="full", coalesce=True).join(after_care, on="la_index", how="full", coalesce=True)


def _offences(writer: ExtractWriter) -> pl.DataFrame:
    """The offences the youth justice extract recorded in each year, in the LA where the child lived mid-year
    (a row the extract wrote twice, a logged duplicate, is one offence)."""
    recorded = [frame for frame in writer.written.records if frame.height and frame["table"][0] == "youth_justice"]
    if not recorded:
        return pl.DataFrame(schema={"la_index": pl.Int64, "year": pl.Int64})
    copies = pl.Series(writer.faults.logged_rids("youth_justice", "duplicate_row"))
    offences = pl.concat(recorded).filter(~pl.col("rid").is_in(copies.implode()))
    offences = offences.select(pl.col("person").cast(pl.Int32), pl.col("file").str.extract(r"/(\d{4})/", 1).cast(pl.Int64).alias("year"))
    offences = offences.with_columns(pl.date(pl.col("year") - 1, 9, 30).cast(pl.Int32).alias("mid_year"))
    located = at_dates(writer.ctx.history, offences, "mid_year")
    return (
        located.with_columns(pl.Series("la_index", writer.gaz.la_index[located["prop"].to_numpy()]).cast(pl.Int64))
        .group_by("la_index", "year")
        .agg(pl.len().alias("offences"))
    )


# --- the true outturn -------------------------------------------------------------------------------
def outturn(rng: np.random.Generator, activity: pl.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """Every line's true values for each LA-year (the rows of `activity`): line -> column -> int64 array, with
    the columns its shape fills. Details are priced from the activity; subtotals and totals are their sums."""
    n = activity.height
    n_las = activity["la_index"].max() + 1
    la = activity["la_index"].to_numpy()
    price = (1 + ANNUAL_COST_GROWTH) ** (activity["year"].to_numpy() - PRICE_YEAR)
    area = rng.lognormal(0.0, AREA_COST_SPREAD, n_las)[la]
    values: dict[str, dict[str, np.ndarray]] = {}
    for line in spec.LINES:
        if spec.line_kind(line) != "detail" or line.number in ("3.6.1", "4.0.1"):
            continue
        provision = _priced_provision(rng, activity, line.number, n_las) * (price * area * rng.lognormal(0.0, YEAR_NOISE, n))[:, None]
        values[line.number] = _full_row(rng, line.number, np.rint(provision).astype(np.int64))
    youth_justice = _driven(activity, "3.6.1") * price * area * rng.lognormal(0.0, YEAR_NOISE, n)
    values["3.6.1"] = _gross_row(rng, "3.6.1", np.rint(youth_justice).astype(np.int64))
    cera = np.where(rng.random(n) < CERA_CHANCE, activity["children"].to_numpy() * rng.uniform(*CERA_PER_CHILD, n), 0.0)
    values["4.0.1"] = _gross_row(rng, "4.0.1", np.rint(cera).astype(np.int64))
    # The file lists a subtotal after its lines, so each one's lines are priced or summed before it.
    for line in spec.LINES:
        if spec.line_kind(line) in ("subtotal", "total"):
            parts = [values[child] for child in spec.children_of(line.number)]
            values[line.number] = {c: sum(part[c] for part in parts) for c in spec.SHAPE_COLUMNS[line.shape] if c != "per_capita_net_current_spend"}
    for number, share in MEMO_SHARE_OF_YOUNG_PEOPLE.items():
        values[number] = {"total_expenditure": np.rint(values["3.5.3"]["total_expenditure"] * share * rng.lognormal(0.0, 0.3, n)).astype(np.int64)}
    return values


def _driven(activity: pl.DataFrame, line: str) -> np.ndarray:
    """£ of a line's activity-driven spend at FY2022-23 costs."""
    return np.zeros(activity.height) + sum(activity[driver].to_numpy() * cost for driver, cost in UNIT_COSTS.get(line, {}).items())


def _priced_provision(rng: np.random.Generator, activity: pl.DataFrame, line: str, n_las: int) -> np.ndarray:
    """(LA-years, 4) £ by provision: placements by their providers, the rest split as the LA splits this line (its
    own draw around the national shares, kept from year to year)."""
    national = np.array(NATIONAL_2022_23[line][:4], dtype=float)
    shares = rng.dirichlet(national / national.sum() * PROVISION_CONCENTRATION + 1e-3, n_las)[activity["la_index"].to_numpy()]
    out = _driven(activity, line)[:, None] * shares
    for column in activity.columns:
        if column.startswith(f"days:{line}:"):
            out[:, int(column.rsplit(":", 1)[1])] += activity[column].to_numpy()
    return out


def _full_row(rng: np.random.Generator, line: str, provision: np.ndarray) -> dict[str, np.ndarray]:
    """Every column of a line from its provision: total the sum of the parts, income and grants at about their
    national shares, net current expenditure and net revenue expenditure what is left."""
    total, income, inside, outside = NATIONAL_2022_23[line][4:]
    gross = provision.sum(axis=1)
    income = _share_of(rng, gross, income / total)
    grants_inside, grants_outside = _share_of(rng, gross, inside / total), _share_of(rng, gross, outside / total)
    net = gross - income
    columns = dict(zip(spec.PROVISION_COLUMNS, provision.T, strict=True))
    return {
        **columns,
        "total_expenditure": gross,
        "income": income,
        "net_current_expenditure": net,
        "grants_inside_AEF": grants_inside,
        "grants_outside_AEF": grants_outside,
        "net_revenue_expenditure": net - grants_inside - grants_outside,
    }


def _gross_row(rng: np.random.Generator, line: str, gross: np.ndarray) -> dict[str, np.ndarray]:
    total, income = NATIONAL_GROSS_2022_23[line]
    income_of_line = _share_of(rng, gross, income / total)
    return {"total_expenditure": gross, "income": income_of_line, "net_current_expenditure": gross - income_of_line}


def _share_of(rng: np.random.Generator, gross: np.ndarray, share: float) -> np.ndarray:
    """About `share` of each gross figure (each LA-year its own, within half of it either way)."""
    return np.rint(gross * share * rng.uniform(0.5, 1.5, len(gross))).astype(np.int64)


# --- rows of the file -------------------------------------------------------------------------------
def with_geographies(ctx, values: dict[str, dict[str, np.ndarray]], activity: pl.DataFrame) -> pl.DataFrame:
    """The file's rows: each LA's lines, then its region's and the nation's as sums over the world's LAs, each
    with its per-head figure (net current expenditure per resident aged 0-17)."""
    las = ctx.config.local_authorities
    la_index = activity["la_index"].to_numpy()
    geography = pl.DataFrame(
        {
            "_la_index": la_index,
            "_year": activity["year"].to_numpy(),
            "_children": activity["children"].to_numpy(),
            "la_name": [las[i].name for i in la_index],
            "old_la_code": [str(las[i].code) for i in la_index],
            "new_la_code": [las[i].ons_code for i in la_index],
            "region_code": [_region(las[i].code)[0] for i in la_index],
            "region_name": [_region(las[i].code)[1] for i in la_index],
        }
    )
    amounts = [c for c in spec.AMOUNT_COLUMNS if c != "per_capita_net_current_spend"]
    frames = []
    for order, line in enumerate(spec.LINES):
        filled = values[line.number]
        frames.append(
            geography.with_columns(
                pl.lit(order).alias("_line_order"),
                pl.lit(line.number).alias("_line"),
                pl.lit(line.category).alias("_category"),
                *(pl.Series(c, filled[c], dtype=pl.Int64) if c in filled else pl.lit(None, dtype=pl.Int64).alias(c) for c in amounts),
            )
        )
    la_rows = pl.concat(frames).with_columns(pl.lit("Local authority").alias("geographic_level"), pl.lit(2).alias("_level"))
    keys = ["_year", "_line_order", "_line", "_category"]
    # A sum over LAs keeps a column the file leaves blank for the line (x) blank.
    sums = [pl.when(pl.col(c).is_not_null().all()).then(pl.col(c).sum()).alias(c) for c in amounts]
    regional = la_rows.group_by([*keys, "region_code", "region_name"]).agg(pl.col("_children").sum(), *sums)
    national = la_rows.group_by(keys).agg(pl.col("_children").sum(), *sums)
    rows = pl.concat(
        [
            national.with_columns(pl.lit("National").alias("geographic_level"), pl.lit(0).alias("_level")),
            regional.with_columns(pl.lit("Regional").alias("geographic_level"), pl.lit(1).alias("_level")),
            la_rows,
        ],
        how="diagonal_relaxed",
    )
    per_head = (pl.col("net_current_expenditure") / pl.col("_children")).round(0).cast(pl.Int64)
    rows = rows.with_columns(
        pl.format("{}{}", pl.col("_year") - 1, (pl.col("_year") % 100).cast(pl.Utf8).str.zfill(2)).alias("time_period"),
        pl.lit(spec.TIME_IDENTIFIER).alias("time_identifier"),
        pl.lit(spec.COUNTRY[0]).alias("country_name"),
        pl.lit(spec.COUNTRY[1]).alias("country_code"),
        pl.col("_category").replace_strict(LABEL_OF_CATEGORY).alias("category_of_expenditure"),
        pl.col("_line").replace_strict({line.number: line.published for line in spec.LINES}).alias("description_of_expenditure"),
        # The file's per-head figure is 0 where net current expenditure is x (the memo lines).
        pl.when(pl.col("_children") > 0).then(per_head).otherwise(0).fill_null(0).alias("per_capita_net_current_spend"),
    )
    return rows.sort("_year", "_level", "old_la_code", "region_code", "_line_order", nulls_last=False)


def _region(la_code: int) -> tuple[str, str]:
    if la_code not in codes.LOCAL_AUTHORITY_REGIONS:
        raise KeyError(f"LA {la_code} has no region, which the s251 file's regional rows need; add it to code_lists.LOCAL_AUTHORITY_REGIONS")
    return codes.LOCAL_AUTHORITY_REGIONS[la_code]


# --- faults -------------------------------------------------------------------------------------------
FAULT_KINDS = ("out_of_list_code", "total_not_sum_of_parts", "subtotal_omits_line", "wrong_units", "value_not_available", "value_suppressed")


def inject_faults(writer: ExtractWriter, rng: np.random.Generator, rows: pl.DataFrame) -> pl.DataFrame:
    """The recorded rows, all text: at most one random fault per LA, year and category (so the checks that judge a
    category each see one), numbers as written with x where the line has no such figure, and the label typo of the
    releases to `CATEGORY_TYPO_UNTIL`. Every change is logged against the row's record id."""
    rates = writer.ctx.config.faults
    n = rows.height
    la_row = (rows["geographic_level"] == "Local authority").to_numpy()
    line_numbers = rows["_line"].to_numpy()
    kind = np.array([spec.line_kind(spec.LINES_BY_NUMBER[number]) for number in line_numbers], dtype=object)
    parent = np.array([spec.LINES_BY_NUMBER[number].parent or "" for number in line_numbers], dtype=object)
    in_category_subtotal = np.isin(parent, [line.number for line in spec.LINES if spec.line_kind(line) == "subtotal"])
    provision = np.column_stack([rows[c].fill_null(0).to_numpy() for c in spec.PROVISION_COLUMNS])
    has_provision = rows["own_provision"].is_not_null().to_numpy() & (provision > 0).any(axis=1)
    total = rows["total_expenditure"].fill_null(0).to_numpy()
    eligible = {
        "out_of_list_code": (np.ones(n, dtype=bool), rates.out_of_list_code),
        "total_not_sum_of_parts": (la_row & has_provision, rates.expenditure_total_mismatch),
        "subtotal_omits_line": (la_row & (kind == "subtotal") & (total > 0), rates.expenditure_subtotal_omits_line),
        "wrong_units": (la_row & in_category_subtotal & (kind == "detail") & (total >= 10_000), rates.expenditure_wrong_units),
        "value_not_available": (la_row & in_category_subtotal & (kind == "detail"), rates.expenditure_not_available),
        "value_suppressed": (la_row & (kind == "detail") & has_provision, rates.expenditure_suppressed),
    }
    fault = np.full(n, "", dtype=object)
    for name in FAULT_KINDS:
        where, rate = eligible[name]
        fault[(fault == "") & where & (rng.random(n) < rate)] = name
    # One fault per LA (or region, or the nation), year and category: the first by a random priority.
    chosen = (
        rows.select("_year", "geographic_level", "region_code", "old_la_code", "_category")
        .with_columns(pl.Series("_fault", fault), pl.Series("_priority", rng.random(n)), pl.int_range(n).alias("_index"))
        .filter(pl.col("_fault") != "")
        .sort("_priority")
        .unique(["_year", "geographic_level", "region_code", "old_la_code", "_category"], keep="first")
    )
    fault = np.full(n, "", dtype=object)
    fault[chosen["_index"].to_numpy()] = chosen["_fault"].to_numpy()
    rid = rows["_rid"].to_numpy()
    rows = _numeric_faults(writer, rng, rows, fault, rid)
    text = rows.with_columns(pl.col(c).cast(pl.Utf8).fill_null("x") for c in spec.AMOUNT_COLUMNS)
    text = _symbol_faults(writer, rng, text, fault, rid)
    return _label_faults(writer, rng, text, fault, rid)


def _numeric_faults(writer: ExtractWriter, rng: np.random.Generator, rows: pl.DataFrame, fault: np.ndarray, rid: np.ndarray) -> pl.DataFrame:
    """The faults that change figures: a total short of a provision column, a subtotal short of a line, a line in £ thousands."""
    columns = {c: rows[c].fill_null(0).to_numpy().copy() for c in spec.AMOUNT_COLUMNS if c != "per_capita_net_current_spend"}
    total = columns["total_expenditure"]
    # A total that leaves one of its provision columns out.
    hit = np.flatnonzero(fault == "total_not_sum_of_parts")
    provision = np.column_stack([columns[c][hit] for c in spec.PROVISION_COLUMNS]).astype(float)
    left_out = np.argmax(np.where(provision > 0, rng.random(provision.shape), -1.0), axis=1)
    recorded = total[hit] - provision[np.arange(len(hit)), left_out].astype(np.int64)
    writer.faults.record(TABLE, rid[hit], "total_expenditure", "total_not_sum_of_parts", total[hit], recorded)
    total[hit] = recorded
    # A subtotal that leaves one of its lines out, in every column.
    for i in np.flatnonzero(fault == "subtotal_omits_line").tolist():
        children = rows.with_row_index("_i").filter(
            (pl.col("_year") == rows["_year"][i])
            & (pl.col("old_la_code") == rows["old_la_code"][i])
            & pl.col("_line").is_in(spec.children_of(rows["_line"][i]))
        )
        children = children.filter(pl.col("total_expenditure") > 0)
        omitted = int(children["_i"][int(rng.integers(0, children.height))])
        writer.faults.record(TABLE, rid[[i]], "total_expenditure", "subtotal_omits_line", total[[i]], total[[i]] - total[omitted])
        for values in columns.values():
            values[i] -= values[omitted]
    # A line returned in £ thousands: each figure as the LA typed it, the total and nets from them.
    hit = np.flatnonzero(fault == "wrong_units")
    thousands = {c: np.rint(columns[c][hit] / 1000).astype(np.int64) for c in columns}
    thousands["total_expenditure"] = sum(thousands[c] for c in spec.PROVISION_COLUMNS)
    thousands["net_current_expenditure"] = thousands["total_expenditure"] - thousands["income"]
    thousands["net_revenue_expenditure"] = thousands["net_current_expenditure"] - thousands["grants_inside_AEF"] - thousands["grants_outside_AEF"]
    writer.faults.record(TABLE, rid[hit], "total_expenditure", "wrong_units", total[hit], thousands["total_expenditure"])
    for c, values in thousands.items():
        columns[c][hit] = values
    # A column the line leaves blank (x) stays blank.
    return rows.with_columns(
        pl.when(pl.col(c).is_null()).then(None).otherwise(pl.lit(pl.Series(values, dtype=pl.Int64))).alias(c) for c, values in columns.items()
    )


def _symbol_faults(writer: ExtractWriter, rng: np.random.Generator, text: pl.DataFrame, fault: np.ndarray, rid: np.ndarray) -> pl.DataFrame:
    """A line the LA did not return (x in every column) and a provision figure suppressed (c)."""
    columns = {c: text[c].to_numpy().astype(object) for c in spec.AMOUNT_COLUMNS}
    hit = np.flatnonzero(fault == "value_not_available")
    writer.faults.record(TABLE, rid[hit], "*", "value_not_available", columns["total_expenditure"][hit], np.full(len(hit), "x"))
    for values in columns.values():
        values[hit] = "x"
    hit = np.flatnonzero(fault == "value_suppressed")
    provision = np.column_stack([columns[c][hit].astype(np.int64) for c in spec.PROVISION_COLUMNS]) if len(hit) else np.zeros((0, 4))
    suppressed = np.argmax(np.where(provision > 0, rng.random(provision.shape), -1.0), axis=1)
    for k, column in enumerate(spec.PROVISION_COLUMNS):
        rows_of_column = hit[suppressed == k]
        writer.faults.record(TABLE, rid[rows_of_column], column, "value_suppressed", columns[column][rows_of_column], np.full(len(rows_of_column), "c"))
        columns[column][rows_of_column] = "c"
    return text.with_columns(pl.Series(c, values, dtype=pl.Utf8) for c, values in columns.items())


def _label_faults(writer: ExtractWriter, rng: np.random.Generator, text: pl.DataFrame, fault: np.ndarray, rid: np.ndarray) -> pl.DataFrame:
    """The releases to 2020-21 spelt family support "servcies"; a few categories are written outside the list."""
    label = text["category_of_expenditure"].to_numpy().astype(object)
    typo = (text["_category"] == "family_support").to_numpy() & (text["_year"] <= spec.CATEGORY_TYPO_UNTIL).to_numpy() & (fault != "out_of_list_code")
    writer.faults.record(TABLE, rid[typo], "category_of_expenditure", "category_label_typo", label[typo], np.full(typo.sum(), TYPO_LABEL))
    label[typo] = TYPO_LABEL
    hit = np.flatnonzero(fault == "out_of_list_code")
    wrong = OUT_OF_LIST[rng.integers(0, len(OUT_OF_LIST), len(hit))]
    writer.faults.record(TABLE, rid[hit], "category_of_expenditure", "out_of_list_code", label[hit], wrong)
    label[hit] = wrong
    return text.with_columns(pl.Series("category_of_expenditure", label, dtype=pl.Utf8))
