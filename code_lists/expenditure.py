"""LA expenditure on children's and young people's services: the section 251 outturn, as the DfE publishes it.

The DfE's "LA and school expenditure" release on Explore Education Statistics has one CSV for these services,
`s251_childrens_young_peoples_services_la_regional_national.csv`: a row per financial year, geography and
expenditure line. The columns, the categories and the line-numbered descriptions below are those of the
published file for FY2015-16 to FY2023-24, as kept in BenGoodair/childrens_social_care_data
(`Raw_Data/LA_level/LA_Spend/s251_childrens_young_peoples_services_la_regional_national_24.csv`, commit
3a6e25e48765). The earlier release of FY2015-16 to FY2020-21 (`s251outturn_cypservices.csv`) spelt one
category "Family support servcies" and gave values in £ million (docs/research/issue-16-source-layouts.md,
section 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Code

# The file's columns, in the published order.
GEOGRAPHY_COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_name",
    "country_code",
    "region_name",
    "region_code",
    "la_name",
    "old_la_code",
    "new_la_code",
)
AMOUNT_COLUMNS = (
    "own_provision",
    "private_provision",
    "other_public_sector_provision",
    "voluntary_provision",
    "total_expenditure",
    "income",
    "net_current_expenditure",
    "grants_inside_AEF",
    "grants_outside_AEF",
    "net_revenue_expenditure",
    "per_capita_net_current_spend",
)
PROVISION_COLUMNS = AMOUNT_COLUMNS[:4]
COLUMNS = (*GEOGRAPHY_COLUMNS, "category_of_expenditure", "description_of_expenditure", *AMOUNT_COLUMNS)

TIME_IDENTIFIER = "Financial year"
GEOGRAPHIC_LEVELS: tuple[Code, ...] = (Code("National", "England"), Code("Regional", "Region"), Code("Local authority", "Local authority"))
COUNTRY = ("England", "E92000001")

# The symbols Explore Education Statistics writes in place of a number (its "Symbols" guidance): the s251 file
# itself writes x, wherever a line has no such breakdown and for an LA that made no return.
EES_SYMBOLS: tuple[Code, ...] = (
    Code("z", "not applicable"),
    Code("x", "not available"),
    Code("c", "confidential"),
    Code("low", "rounds to 0, but is not 0"),
    Code("u", "low reliability"),
)

# category code -> the label the file gives it. Children's social care, as the DfE's release groups the
# services: looked after, safeguarding, family support and other children and family services (UNCONFIRMED:
# the release's own definition was not read; the grouping is the one its headline figures use).
CATEGORIES: tuple[Code, ...] = (
    Code("sure_start", "Sure Start and children aged under 5"),
    Code("children_looked_after", "Children looked after"),
    Code("other_children_and_family_services", "Other children and family services"),
    Code("safeguarding", "Safeguarding children and young peoples services"),
    Code("family_support", "Family support services"),
    Code("services_for_young_people", "Services for young people"),
    Code("youth_justice", "Youth justice"),
    Code("capital_expenditure", "Capital expenditure"),
    Code("total", "Total"),
)
CHILDRENS_SOCIAL_CARE = frozenset({"children_looked_after", "other_children_and_family_services", "safeguarding", "family_support"})
# Labels that earlier releases gave a category, with the category they mean.
CATEGORY_LABEL_VARIANTS: dict[str, str] = {"Family support servcies": "family_support"}
# The last collection year (the financial year's end) whose release spelt it so: the FY2015-16 to 2020-21 series.
CATEGORY_TYPO_UNTIL = 2021


@dataclass(frozen=True)
class ExpenditureLine:
    """One line of the outturn table. `parent` is the line that sums it (None for the memo lines, which are
    included in other lines, and for the grand total); `shape` says which columns the file fills for it:
    `full` every column; `gross_and_net` total, income and net only (youth justice and capital, which have no
    breakdown by provider); `total` total and net only (the grand totals); `memo` total only."""

    number: str
    description: str
    category: str
    parent: str | None
    shape: str = "full"

    @property
    def published(self) -> str:
        """The file's description_of_expenditure: the line number, a space and the description."""
        return f"{self.number} {self.description}"


_SURE_START, _LOOKED_AFTER, _SAFEGUARDING, _FAMILY, _YOUNG = (
    "sure_start",
    "children_looked_after",
    "safeguarding",
    "family_support",
    "services_for_young_people",
)
LINES: tuple[ExpenditureLine, ...] = (
    ExpenditureLine("3.0.1", "Spend on individual Sure Start Childrens Centres", _SURE_START, "3.0.5"),
    ExpenditureLine("3.0.2", "Spend for services delivered through Sure Start Childrens Centres", _SURE_START, "3.0.5"),
    ExpenditureLine("3.0.3", "Spend on management costs relating to Sure Start Childrens Centres", _SURE_START, "3.0.5"),
    ExpenditureLine("3.0.4", "Other spend on children under 5", _SURE_START, "3.0.5"),
    ExpenditureLine("3.0.5", "Total Sure Start childrens centres and other spend on children under 5", _SURE_START, "5.0.2"),
    ExpenditureLine("3.1.1", "Residential care", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.2a", "Fostering services (excluding fees and allowances for LA foster carers)", _LOOKED_AFTER, "3.1.2"),
    ExpenditureLine("3.1.2b", "Fostering services (fees and allowances for LA foster carers)", _LOOKED_AFTER, "3.1.2"),
    ExpenditureLine("3.1.2", "Total fostering services", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.3", "Adoption services", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.4", "Special guardianship support", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.5", "Other children looked after services", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.6", "Short breaks (respite) for looked after disabled children", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.7", "Children placed with family and friends", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.8", "Education of looked after children", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.9", "Leaving care support services", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.10", "Asylum seeker services children", _LOOKED_AFTER, "3.1.11"),
    ExpenditureLine("3.1.11", "Total Children Looked After", _LOOKED_AFTER, "5.0.2"),
    ExpenditureLine("3.2.1", "Other children and families services", "other_children_and_family_services", "5.0.2"),
    ExpenditureLine("3.3.1", "Social work (including LA functions in relation to child protection)", _SAFEGUARDING, "3.3.4"),
    ExpenditureLine("3.3.2", "Commissioning and Childrens Services Strategy", _SAFEGUARDING, "3.3.4"),
    ExpenditureLine("3.3.3", "Local Safeguarding Children Board", _SAFEGUARDING, "3.3.4"),
    ExpenditureLine("3.3.4", "Total Safeguarding Children and Young Peoples Services", _SAFEGUARDING, "5.0.2"),
    ExpenditureLine("3.4.1", "Direct payments", _FAMILY, "3.4.6"),
    ExpenditureLine("3.4.2", "Short breaks (respite) for disabled children", _FAMILY, "3.4.6"),
    ExpenditureLine("3.4.3", "Other support for disabled children", _FAMILY, "3.4.6"),
    ExpenditureLine("3.4.4", "Targeted family support", _FAMILY, "3.4.6"),
    ExpenditureLine("3.4.5", "Universal family support", _FAMILY, "3.4.6"),
    ExpenditureLine("3.4.6", "Total Family Support Services", _FAMILY, "5.0.2"),
    ExpenditureLine("3.5.1", "Universal services for young people", _YOUNG, "3.5.3"),
    ExpenditureLine("3.5.2", "Targeted services for young people", _YOUNG, "3.5.3"),
    ExpenditureLine("3.5.3", "Total Services for young people", _YOUNG, "5.0.2"),
    ExpenditureLine("8a.1", "Substance misuse services (Drugs, Alcohol and Volatile substances) (included in 3.5.1 and 3.5.2 above)", _YOUNG, None, "memo"),
    ExpenditureLine("8a.2", "Teenage pregnancy services (included in 3.5.1 and 3.5.2 above)", _YOUNG, None, "memo"),
    ExpenditureLine("3.6.1", "Youth justice", "youth_justice", "5.0.2", "gross_and_net"),
    ExpenditureLine("4.0.1", "Capital Expenditure from Revenue (CERA) (Childrens and young people services)", "capital_expenditure", "5.0.3", "gross_and_net"),
    ExpenditureLine("5.0.2", "Total Children and Young Peoples Services Expenditure (excluding CERA)", "total", "5.0.3", "total"),
    ExpenditureLine("5.0.3", "Total Children and Young Peoples Services Expenditure (including CERA)", "total", None, "total"),
)
LINES_BY_NUMBER = {line.number: line for line in LINES}
# The columns each shape fills; the others hold x.
SHAPE_COLUMNS: dict[str, tuple[str, ...]] = {
    "full": AMOUNT_COLUMNS,
    "gross_and_net": ("total_expenditure", "income", "net_current_expenditure", "per_capita_net_current_spend"),
    "total": ("total_expenditure", "net_current_expenditure", "per_capita_net_current_spend"),
    "memo": ("total_expenditure", "per_capita_net_current_spend"),
}


def children_of(number: str) -> tuple[str, ...]:
    """The lines a subtotal or total sums."""
    return tuple(line.number for line in LINES if line.parent == number)


def line_kind(line: ExpenditureLine) -> str:
    """detail (a line of its own), subtotal (sums lines of its category), total (5.0.2, 5.0.3) or memo."""
    if line.shape in ("memo", "total"):
        return line.shape
    return "subtotal" if children_of(line.number) else "detail"


def is_category_total(line: ExpenditureLine) -> bool:
    """The line that gives its category's whole spend: the subtotal, or the one line of a category without one."""
    return line.parent in ("5.0.2", "5.0.3") and line.shape != "total"
