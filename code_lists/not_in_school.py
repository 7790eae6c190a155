"""The LA register of children not in school: children missing education (CME) and in elective home education
(EHE). No child-level layout is published (docs/research/issue-16-source-layouts.md, section 4), so the extract
is a Hearth layout: each column below says which statutory provision makes the LA hold it, or that it is Hearth's.

- reg 13: School Attendance (Pupil Registration) (England) Regulations 2024, regulation 13
  (legislation.gov.uk/uksi/2024/208/regulation/13): the deletion return a school sends the LA when it takes a
  pupil off its roll (the pupil's full name and address, the full name and address of a parent the pupil
  normally lives with, the reg 8(3) details of a new address and school where known, and the ground), and the
  new-pupil return of the admitting school.
- s.436C: Education Act 1996 s.436C, inserted by the Children's Wellbeing and Schools Act 2026 s.38 (enacted, not
  yet commenced): a register of children not in school holds the child's name, date of birth and home address and
  the name and home address of each parent.
- s.436A: Education Act 1996 s.436A, the LA's duty to identify children in its area of compulsory school age who
  are not registered pupils and not receiving suitable education otherwise (the CME duty); the duty ends when the
  child is a registered pupil, leaves the area or is no longer of compulsory school age (s.8).
- EES: DfE, Explore education statistics, "Elective home education" and "Children missing education" (the termly
  EHE and CME data collection, mandatory from autumn 2024): registers, sex and primary reason are its breakdowns.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Code


@dataclass(frozen=True)
class RegisterField:
    column: str
    meaning: str
    provision: str  # reg 13, s.436C, s.436A, EES, or Hearth (a column of Hearth's own)


REGISTER_FIELDS: tuple[RegisterField, ...] = (
    RegisterField("RegisterEntryID", "The LA's reference of the entry, the same in every year's extract", "Hearth"),
    RegisterField("Register", "CME (missing education) or EHE (electively home educated)", "s.436A (CME); EES (the two registers it counts)"),
    RegisterField("Forename", "Child's first name", "reg 13 (full name); s.436C (name)"),
    RegisterField("Surname", "Child's surname", "reg 13 (full name); s.436C (name)"),
    RegisterField("DOB", "Child's date of birth (dd/mm/yyyy)", "s.436C (date of birth)"),
    RegisterField("Sex", "F or M", "EES (sex breakdown)"),
    RegisterField("UPN", "Unique pupil number, when the school that took the child off its roll gave it", "Hearth (the school's records of the child)"),
    RegisterField("AddressLine1", "Home address: house and street", "reg 13 (address); s.436C (home address)"),
    RegisterField("AddressLine2", "Home address: locality", "reg 13 (address); s.436C (home address)"),
    RegisterField("Town", "Home address: town", "reg 13 (address); s.436C (home address)"),
    RegisterField("Postcode", "Home address: postcode", "reg 13 (address); s.436C (home address)"),
    RegisterField("ParentForename", "First name of a parent the child normally lives with", "reg 13 (parent's full name); s.436C (name of each parent)"),
    RegisterField("ParentSurname", "Surname of that parent", "reg 13 (parent's full name); s.436C (name of each parent)"),
    RegisterField("DateOnRegister", "The day the LA entered the child on the register (dd/mm/yyyy)", "Hearth"),
    RegisterField("DateOffRegister", "The day the entry ended, blank while it is open at the extract date (dd/mm/yyyy)", "Hearth"),
    RegisterField("Reason", "EHE: the parents' primary reason; CME: why the child is missing education", "EES (primary reason for EHE and for CME)"),
    RegisterField("DateOffReason", "Why the entry ended", "s.436A (when the duty ends)"),
    RegisterField("PreviousSchoolLA", "LA number of the school the child left, as the school census LA", "reg 13 (the school making the deletion return)"),
    RegisterField("PreviousSchoolEstab", "Establishment number of that school, as the school census Estab", "reg 13 (the school making the deletion return)"),
    RegisterField("DestinationLA", "LA the child moved to, or of the school the child went to, when known", "reg 13 (reg 8(3) details; the new-pupil return)"),
    RegisterField("DestinationEstab", "Establishment number of the school the child went to, when known", "reg 13 (reg 8(3) details; the new-pupil return)"),
)

REGISTER: tuple[Code, ...] = (
    Code("CME", "Child missing education"),
    Code("EHE", "Elective home education"),
)

# The primary reason for EHE as the EES "Elective home education" release labels its Reason breakdown
# (ehe_census.csv). Weights are rough shares: autumn 2024 reported 19% unknown, 14% mental health, 14%
# philosophical or preferential and 1% risk of exclusion; autumn 2023 reported lifestyle choice at 8% and 40%
# of reasons as unknown, other or no reason given (EES Elective home education 2023/24 and 2024/25, autumn
# term). The other weights are assumptions summing to the rest.
EHE_PRIMARY_REASON: tuple[Code, ...] = (
    Code("Unknown", "Reason unknown to the LA", 19),
    Code("No reason given", "Parent did not provide a reason", 9),
    Code("Other", "Other", 12),
    Code("Philosophical or preferential", "Philosophical or preferential reasons", 14),
    Code("Mental health", "Mental health", 14),
    Code("Lifestyle", "Lifestyle choice", 8),
    Code("Physical health", "Physical health", 3),
    Code("Health concerns related to COVID19", "Health concerns related to COVID-19", 2),
    Code("School dissatisfaction general", "Dissatisfaction with school: general", 7),
    Code("School dissatisfaction SEND", "Dissatisfaction with school: special educational needs and disabilities", 3),
    Code("School dissatisfaction bullying", "Dissatisfaction with school: bullying", 3),
    Code("Religious", "Religious reasons", 1),
    Code("Risk of school exclusion", "Risk of school exclusion", 1),
    Code("Permanent exclusion", "Permanently excluded", 0.5),
    Code("Did not get school preference", "Did not get a preferred school", 1.5),
    Code("Difficulty accessing suitable school place", "Difficulty accessing a suitable school place", 1),
    Code("School suggestion", "Suggestion or pressure from the school", 0.5),
)
# The reasons only a child with special educational needs gives, and the reason that only exists from the
# first COVID-19 lockdown (23 March 2020) on.
SEND_REASONS = frozenset({"School dissatisfaction SEND"})
COVID_REASON = "Health concerns related to COVID19"

# Why a child who left a roll is missing education. EES added a primary reason for CME in autumn 2023 but its
# labels were not at hand (research notes, section 4); this is a Hearth list from the EES methodology's
# definition (children awaiting a school place, or whose whereabouts the LA is still establishing). Weights are
# assumptions.
CME_REASON: tuple[Code, ...] = (
    Code("Whereabouts unknown", "Left the roll; the family's whereabouts are being established", 35),
    Code("Awaiting school place", "Awaiting a school place", 25),
    Code("Offered school place but not yet accepted", "Offered a school place, not yet accepted", 8),
    Code("Other", "Other", 10),
    Code("Unknown", "Reason not recorded", 22),
)

# Why an entry ends (Hearth's list): the events that end the LA's duty (s.436A) or move the child between registers.
DATE_OFF_REASON: tuple[Code, ...] = (
    Code("Returned to school", "On a school roll again (the destination school's new-pupil return)"),
    Code("Moved to another local authority", "No longer living in the LA's area"),
    Code("Ceased to be of compulsory school age", "After the last Friday in June of the school year the child turns 16 (Education Act 1996 s.8)"),
    Code("Began elective home education", "Off the CME register onto the EHE register, once the parents confirm they educate the child"),
)

# Sex as the register records it (index 0 female, 1 male).
SEX = ("F", "M")
