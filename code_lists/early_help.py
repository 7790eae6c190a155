"""Codes of the LA's early help, contacts and services records (the SSD-shaped case-management extract).

The Data to Insight Standard Safeguarding Dataset (data-to-insight/ssd-data-model, `data/objects/`)
holds early help reasons and end reasons as free text and has no services table, so the labels here are
the ones an LA's case-management system typically records (the SSD guidance's examples "Outcomes met /
Step-up / NFA" among them) and the service codes are Hearth's own. Weights steer the synthetic draws only.
"""

from __future__ import annotations

from . import Code

# How an episode that did not step up to social care ended (the step-up itself follows the referral).
EARLY_HELP_END_REASON: tuple[Code, ...] = (
    Code("Outcomes met", "the plan's outcomes were met", 62),
    Code("Family declined or disengaged", "consent withdrawn or the family stopped engaging", 18),
    Code("No further action", "closed with no further action", 10),
    Code("Moved out of area", "the family moved to another LA", 6),
    Code("Transferred to universal services", "support continues from universal services", 4),
)
EARLY_HELP_STEP_UP = "Step-up to children's social care"
EARLY_HELP_REASON: tuple[str, ...] = (
    "Domestic abuse",
    "Parental mental health",
    "Parental substance misuse",
    "Child's behaviour",
    "School attendance",
    "Parenting support",
    "Financial hardship or housing",
)
EARLY_HELP_ORGANISATION: tuple[Code, ...] = (
    Code("Family Hub", "the LA's family hub or children's centre", 70),
    Code("School", "a school's family support worker", 15),
    Code("Health visiting", "the health visiting service", 8),
    Code("Voluntary sector", "a commissioned voluntary sector provider", 7),
)

# Services and interventions (a Hearth table: SSD has none). The parenting programme is the service
# whose effect the generator knows.
SERVICE_TYPE: tuple[Code, ...] = (
    Code("PARENT", "Parenting programme (group, weekly sessions)"),
    Code("KEYWORK", "Family key work"),
    Code("DASUPPORT", "Domestic abuse support"),
    Code("WELLBEING", "Emotional wellbeing and mental health support"),
    Code("YOUTH", "Targeted youth support"),
    Code("ATTENDANCE", "School attendance support"),
    Code("EARLYYEARS", "Early years and speech and language support"),
    Code("MONEY", "Welfare rights and money advice"),
    Code("FGC", "Family group conference"),
    Code("SUBSTANCE", "Parental substance misuse service"),
    Code("SHORTBREAK", "Short breaks for a disabled child"),
    Code("THERAPY", "Therapeutic support for the child"),
)
SERVICE_FREQUENCY: tuple[Code, ...] = (
    Code("D", "daily"),
    Code("W", "weekly"),
    Code("F", "fortnightly"),
    Code("M", "monthly"),
    Code("O", "once"),
)

# ssd_contacts.cont_contact_outcome_json: SSD's keys, every one always present, "Y" or "N".
CONTACT_OUTCOME_KEYS: tuple[str, ...] = (
    "NEW_REFERRAL_FLAG",
    "EXISTING_REFERRAL_FLAG",
    "CP_ENQUIRY_FLAG",
    "NFA_FLAG",
    "NON_AGENCY_ADOPTION_FLAG",
    "PRIVATE_FOSTERING_FLAG",
    "ADVICE_FLAG",
    "MISSING_FLAG",
    "OLA_CP_FLAG",
    "OTHER_OUTCOMES_EXIST_FLAG",
)
