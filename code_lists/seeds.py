"""The dbt seeds that harmonisation joins to, built from the code lists in this package.

The code lists here are the single source of truth; `hearth export-seeds` writes them to
`dbt_project/seeds/` and a test fails if the committed CSVs drift from them. Each seed's
origin is documented in `dbt_project/seeds/seeds.yml`.
"""

from __future__ import annotations

from pathlib import Path

import code_lists as c
from code_lists import early_help, emergency_care, not_in_school, workforce
from code_lists import expenditure as s251

# ONS 2021 high-level ethnic groups; Chinese sits under Asian, as in Census 2021.
BROAD_OF_CENSUS_19 = {
    **dict.fromkeys(("1", "2", "3", "4", "5"), "asian"),
    **dict.fromkeys(("6", "7", "8"), "black"),
    **dict.fromkeys(("9", "10", "11", "12"), "mixed"),
    **dict.fromkeys(("13", "14", "15", "16", "17"), "white"),
    "18": "other",
    "19": "other",
}
_DFE_MAIN_TO_CENSUS = {dfe: census for census, dfe in c.CENSUS19_TO_DFE.items() if list(c.CENSUS19_TO_DFE.values()).count(dfe) == 1}
_DFE_BROAD = {"W": "white", "M": "mixed", "A": "asian", "B": "black", "C": "asian", "O": "other"}
_HES_TO_CENSUS = {hes: census for census, hes in c.CENSUS19_TO_HES.items() if list(c.CENSUS19_TO_HES.values()).count(hes) == 1}
_HES_BROAD = {
    **dict.fromkeys("ABC", "white"),
    **dict.fromkeys("DEFG", "mixed"),
    **dict.fromkeys("HJKLR", "asian"),
    **dict.fromkeys("MNP", "black"),
    "S": "other",
}
_YJ_BROAD = {"White": "white", "Mixed": "mixed", "Asian or Asian British": "asian", "Black or Black British": "black", "Other ethnic group": "other"}

FACTOR_THEMES = {
    "1": "substance_misuse",
    "2": "substance_misuse",
    "3": "domestic_abuse",
    "4": "mental_health",
    "5": "learning_disability",
    "6": "physical_disability_or_illness",
    "7A": "young_carer",
    "8B": "privately_fostered",
    "8C": "unaccompanied_asylum_seeker",
    "8D": "going_missing",
    "8E": "child_sexual_exploitation",
    "8F": "trafficking",
    "9A": "gangs",
    "10A": "socially_unacceptable_behaviour",
    "11A": "self_harm",
    "12A": "abuse_or_neglect",
    "13A": "abuse_or_neglect",
    "14A": "abuse_or_neglect",
    "15A": "abuse_or_neglect",
    "16A": "female_genital_mutilation",
    "17A": "abuse_linked_to_faith_or_belief",
    "18": "other",
    "19": "homelessness",
    "20": "other",
    "21": "no_factors",
    "22A": "child_criminal_exploitation",
    "23A": "extra_familial_harm_other",
    "24A": "radicalisation",
}
EXTRA_FAMILIAL_HARM = {
    "going_missing",
    "child_sexual_exploitation",
    "trafficking",
    "gangs",
    "child_criminal_exploitation",
    "extra_familial_harm_other",
    "radicalisation",
}
_SUBJECT = {"A": "child", "B": "parent_or_carer", "C": "other_person"}

LEGAL_GROUPS = {
    "C1": "care_order",
    "C2": "care_order",
    "D1": "placement_order",
    "E1": "placement_order",
    "J1": "youth_justice",
    "J2": "youth_justice",
    "J3": "youth_justice",
    "L1": "emergency",
    "L2": "emergency",
    "L3": "emergency",
    "V2": "section_20",
    "V3": "short_breaks",
    "V4": "short_breaks",
}
PLACEMENT_GROUPS = {
    **{f"U{i}": "foster" for i in range(1, 7)},
    **{f"A{i}": "placed_for_adoption" for i in range(3, 7)},
    "H5": "semi_independent",
    "P2": "independent_living",
    "P1": "with_parents",
    "K1": "secure",
    "K2": "childrens_home",
    "R1": "residential_care_home",
    "R2": "health",
    "R3": "family_centre",
    "R5": "custody",
    "S1": "residential_school",
    "Z1": "other",
}
CEASED_GROUPS = {
    "X1": "continues",
    "E11": "adopted",
    "E12": "adopted",
    "E13": "returned_home",
    "E14": "other",
    "E15": "other",
    "E2": "died",
    "E3": "transferred",
    "E4A": "returned_home",
    "E4B": "returned_home",
    "E41": "returned_home",
    "E45": "special_guardianship",
    "E46": "special_guardianship",
    "E47": "child_arrangements_order",
    "E48": "child_arrangements_order",
    "E5": "independent_living",
    "E6": "independent_living",
    "E7": "transferred",
    "E8": "other",
    "E9": "custody",
}
ICD10_MENTAL_HEALTH_RANGES = (
    ("F00", "F09", "organic", "Organic, including symptomatic, mental disorders"),
    ("F10", "F19", "substance_use", "Mental and behavioural disorders due to psychoactive substance use"),
    ("F20", "F29", "psychotic", "Schizophrenia, schizotypal and delusional disorders"),
    ("F30", "F39", "mood", "Mood (affective) disorders"),
    ("F40", "F48", "anxiety_and_stress", "Neurotic, stress-related and somatoform disorders"),
    ("F50", "F59", "behavioural_physiological", "Behavioural syndromes associated with physiological disturbances (incl. eating disorders)"),
    ("F60", "F69", "personality", "Disorders of adult personality and behaviour"),
    ("F70", "F79", "intellectual_disability", "Mental retardation (intellectual disability)"),
    ("F80", "F89", "developmental", "Disorders of psychological development (incl. autism)"),
    ("F90", "F98", "childhood_onset", "Behavioural and emotional disorders with onset usually in childhood and adolescence"),
    ("F99", "F99", "unspecified", "Unspecified mental disorder"),
    ("X60", "X84", "intentional_self_harm", "Intentional self-harm (external cause)"),
)


_S251_LABEL = {x.code: x.label for x in s251.CATEGORIES}


def _factor_theme(code: str) -> str:
    return FACTOR_THEMES.get(code) or FACTOR_THEMES[code.rstrip("ABC")]


def seed_tables() -> dict[str, list[dict[str, str]]]:
    dfe = [
        {
            "code": x.code,
            "label": x.label,
            "main_code": x.code,
            "is_extended": "false",
            "census_ethnic_group_19": _DFE_MAIN_TO_CENSUS.get(x.code, ""),
            "broad_group": "" if x.code in ("REFU", "NOBT") else _DFE_BROAD[x.code[0]],
        }
        for x in c.DFE_ETHNICITY
    ] + [
        {
            "code": ext,
            "label": f"Extended code under {main}",
            "main_code": main,
            "is_extended": "true",
            "census_ethnic_group_19": _DFE_MAIN_TO_CENSUS.get(main, ""),
            "broad_group": _DFE_BROAD[main[0]],
        }
        for ext, main in c.DFE_ETHNICITY_EXTENDED.items()
    ]
    sex = [
        {"source": source, "code": code, "sex": sex}
        for source, codes in (
            ("census_2021", c.CENSUS_SEX),
            ("school_census", c.SCHOOL_CENSUS_SEX),
            ("cin_census", c.CIN_GENDER),
            ("ssd", c.SCHOOL_CENSUS_SEX),
            ("ssda903", c.SSDA903_SEX),
            ("hes_apc", c.HES_SEX),
            ("ecds", c.HES_SEX),
            ("youth_justice", c.YJ_SEX),
            ("cnis", not_in_school.SEX),
        )
        for code, sex in zip(codes, ("female", "male"), strict=True)
    ] + [{"source": s, "code": code, "sex": "unknown"} for s in ("cin_census", "hes_apc", "ecds") for code in ("0", "9")]
    coded = lambda code_list, **extra: [{"code": x.code, "label": x.label, **{k: f(x.code) for k, f in extra.items()}} for x in code_list]  # noqa: E731
    return {
        "dfe_ethnicity": dfe,
        "census_ethnic_group_19": coded(c.CENSUS_ETHNIC_GROUP_19, broad_group=BROAD_OF_CENSUS_19.get),
        "hes_ethnic_category": coded(
            c.HES_ETHNIC_CATEGORY, census_ethnic_group_19=lambda k: _HES_TO_CENSUS.get(k, ""), broad_group=lambda k: _HES_BROAD.get(k, "")
        ),
        "youth_justice_ethnicity": coded(c.YJ_ETHNICITY, broad_group=lambda k: _YJ_BROAD.get(k, "")),
        "sex_codes": sex,
        "cin_referral_source": coded(c.CIN_REFERRAL_SOURCE),
        "cin_primary_need": coded(c.CIN_PRIMARY_NEED),
        "cin_reason_for_closure": coded(c.CIN_REASON_FOR_CLOSURE),
        "category_of_abuse": coded(c.CATEGORY_OF_ABUSE),
        "assessment_factors": coded(
            c.ASSESSMENT_FACTORS,
            theme=_factor_theme,
            subject=lambda k: _SUBJECT.get(k[-1], "") if k[-1] in "ABC" and k[0].isdigit() and len(k) <= 3 else "",
            extra_familial_harm=lambda k: str(_factor_theme(k) in EXTRA_FAMILIAL_HARM).lower(),
        ),
        "sen_provision": coded(c.SEN_PROVISION, provision_group=lambda k: {"N": "none", "K": "sen_support", "E": "ehc_plan"}[k]),
        "sen_primary_need": coded(c.SEN_PRIMARY_NEED),
        "ssda903_legal_status": coded(c.LEGAL_STATUS, legal_group=LEGAL_GROUPS.get),
        "ssda903_placement_type": coded(c.PLACEMENT_TYPE, placement_group=PLACEMENT_GROUPS.get),
        "ssda903_reason_episode_ceased": coded(c.REASON_EPISODE_CEASED, outcome_group=CEASED_GROUPS.get),
        "school_census_terms": [
            {"term": term, "term_order": str(order), "census_month": str(month), "census_day": str(day)}
            for order, (term, month, day) in enumerate(c.SCHOOL_TERMS, start=1)
        ],
        "service_type": coded(early_help.SERVICE_TYPE),
        "service_frequency": coded(early_help.SERVICE_FREQUENCY),
        "not_in_school_reasons": [
            {"register": register, "code": x.code, "label": x.label}
            for register, reasons in (("EHE", not_in_school.EHE_PRIMARY_REASON), ("CME", not_in_school.CME_REASON))
            for x in reasons
        ],
        "not_in_school_date_off_reasons": coded(not_in_school.DATE_OFF_REASON),
        "ecds_codes": [
            {"field": field, "code": x.code, "label": x.label, "code_group": x.group, "confirmed": x.confirmed, "source": emergency_care.SOURCES[x.source]}
            for field, code_list in emergency_care.FIELDS.items()
            for x in code_list
        ],
        "icd10_mental_health_ranges": [{"range_start": a, "range_end": b, "mh_group": g, "label": label} for a, b, g, label in ICD10_MENTAL_HEALTH_RANGES],
        **workforce.workforce_seed_tables(),
        "s251_categories": [
            {"label": label, "category_code": code, "category": _S251_LABEL[code], "in_childrens_social_care": str(code in s251.CHILDRENS_SOCIAL_CARE).lower()}
            for label, code in ({x.label: x.code for x in s251.CATEGORIES} | s251.CATEGORY_LABEL_VARIANTS).items()
        ],
        "s251_expenditure_lines": [
            {
                "line_number": line.number,
                "description": line.description,
                "category_code": line.category,
                "parent_line_number": line.parent or "",
                "line_kind": s251.line_kind(line),
                "is_category_total": str(s251.is_category_total(line)).lower(),
                "line_order": str(order),
            }
            for order, line in enumerate(s251.LINES, start=1)
        ],
    }


def render(rows: list[dict[str, str]]) -> str:
    lines = [",".join(rows[0])]
    for row in rows:
        lines.append(",".join(_csv_field(str(v)) for v in row.values()))
    return "\n".join(lines) + "\n"


def _csv_field(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(ch in value for ch in ',"\n') else value


def write_seeds(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in seed_tables().items():
        path = folder / f"{name}.csv"
        path.write_text(render(rows), encoding="utf-8")
        written.append(path)
    return written
