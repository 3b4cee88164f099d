"""The patient-identifier guard: free text that looks like it names a patient is refused.

One pure function, `patient_identifier(text)`, used by every service for every free-text field
before it is stored or posted (DESIGN.md "Patient-identifier guard"). It errs on the side of
refusing: the person rewords in seconds, while an identifier posted to a unit channel, stored in
a database, an outbox and a Redis stream cannot be recalled.

A refusal says which kind of identifier it saw and why, in words a nurse understands, but never
repeats the text itself: the reason travels in gRPC statuses that clients may log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """What the guard saw: the kind of identifier and the reason to show the person."""

    kind: str
    reason: str


_REWORD = "leave patient details out and say it without them"

# A medical record number: the words for one, or a run of 6+ digits. Dates of shifts
# (2026-12-07), counts ("box of 100") and unit codes never hold six digits in a row.
_MRN = re.compile(r"\bMRN\b|\bMR\s*#|\bMR\s*No\b|\bmedical\s+record|\d{6,}", re.IGNORECASE)

# A full date: 2026-12-07, 12/07/1950, 7.12.50, 7 March 1950, March 7, 1950.
_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
_FULL_DATE = (rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}"
              rf"|\d{{1,2}}\s+{_MONTH}\s+\d{{2,4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}})")
_DOB_WORDS = re.compile(r"\bD\.?\s?O\.?\s?B\b|\bdate\s+of\s+birth\b|\bbirth\s*date\b",
                        re.IGNORECASE)
# "born" beside a full date, either way round, a few words apart at most.
_BORN_WITH_DATE = re.compile(
    rf"\bborn\b\W+(?:\w+\W+){{0,3}}?{_FULL_DATE}|{_FULL_DATE}\W+(?:\w+\W+){{0,3}}?born\b",
    re.IGNORECASE)

# A room or bed: "bed 12", "bed #3", "rm 4", "Rm. 4B", "room 4B", "bd 2".
_ROOM_OR_BED = re.compile(
    r"\b(?:bed|bd|rm|room)\b\.?[\s#:-]*(?:no\b\.?|number)?[\s#:-]*\d+[A-Za-z]?\b", re.IGNORECASE)

# A name: a capitalised word ("Smith", "O'Neil"), an initial then a surname ("J. Smith"), or
# a name in capitals ("JOHN SMITH": two words of three letters or more, so the ward's
# abbreviations, "ICU RN", do not count).
_NAME = r"(?:[A-Z]\.?\s*)?[A-Z][a-z][\w'’-]*|[A-Z]{3,}\s+[A-Z]{3,}"
# A title before a name. Titles match in any case but "Miss", which as the verb ("don't miss
# ICU huddle") is lower case mid-sentence; the name must be capitalised either way.
_TITLE_NAME = re.compile(rf"\b(?:(?i:mr|mrs|ms|mx|dr)\.?|Miss)\s+(?:{_NAME})")
# "pt" or "patient" before a name: "Pt John Smith", "patient: Jane Doe", "pt. J. Smith".
_PATIENT_NAME = re.compile(rf"\b(?i:pts?|patients?)\b\.?[\s:,-]+(?:{_NAME})")

_CHECKS: tuple[tuple[re.Pattern[str], Finding], ...] = (
    (_MRN, Finding("medical record number",
                   "looks like a medical record number (MRN, MR# or 6+ digits in a row); "
                   + _REWORD)),
    (_DOB_WORDS, Finding("date of birth",
                         "looks like a date of birth (DOB); " + _REWORD)),
    (_BORN_WITH_DATE, Finding("date of birth",
                              "looks like a date of birth ('born' beside a date); " + _REWORD)),
    (_ROOM_OR_BED, Finding("room or bed",
                           "names a room or bed (such as 'bed 3' or 'rm 2B'), which points to "
                           "a patient; " + _REWORD)),
    (_TITLE_NAME, Finding("name",
                          "looks like a person's name after a title (Mr, Mrs, Ms, Miss, Dr); "
                          + _REWORD)),
    (_PATIENT_NAME, Finding("name",
                            "looks like a patient's name ('pt' or 'patient' before a name); "
                            + _REWORD)),
)


def patient_identifier(text: str) -> Finding | None:
    """The first patient identifier `text` seems to hold, with why; None for ordinary text."""
    if not text:
        return None
    for pattern, finding in _CHECKS:
        if pattern.search(text):
            return finding
    return None


def violations(fields: dict[str, str]) -> dict[str, str]:
    """{field: reason} for each free-text field that seems to hold a patient identifier."""
    found = {name: patient_identifier(value) for name, value in fields.items()}
    return {name: finding.reason for name, finding in found.items() if finding is not None}
