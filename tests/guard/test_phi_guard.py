"""The patient-identifier guard itself: each kind of identifier is refused with its reason, and
the ward's ordinary words (from the demo, the README and the tests) pass."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinops.phi_guard import patient_identifier, violations

REFUSED = {
    "medical record number": [
        "Pt John Smith MRN 00123456 bed 12", "Pt Jane Doe MRN 7654321", "MRN 1234", "mrn: 42",
        "MR# 55", "mr #4411", "MR No 12", "medical record 12", "00123456", "chart 1234567",
    ],
    "date of birth": [
        "DOB 1950-03-02", "dob: 3/2/50", "d.o.b. 2/3/1950", "D.O.B 1/1/01", "date of birth 1950",
        "born 12/03/1950", "born on 7 March 1950", "born March 7, 1950", "3/12/1950 born",
    ],
    "room or bed": [
        "bed 12", "Bed #3", "bed-4", "rm 4", "Rm. 4B", "room 4B", "ROOM 12", "bd 7",
        "room number 9",
    ],
    "name": [
        "Mr Smith", "mrs Jones", "Ms. Doe", "Miss Daisy", "Dr Patel", "DR. Who", "Mx Rivera",
        "pt Jane", "patient: John Smith", "Patient J. Smith", "pt JOHN SMITH", "the pt, Jane",
        "pts Smith and Jones",
    ],
}

# What nurses type into ClinOps every day: none of it is about a patient.
WARD_TEXT = [
    "ICU RN 1 night", "sick call", "call-out", "two call-outs", "box of 100 gloves",
    "extra admissions", "call-out and rising census", "report ICU RN 2 tomorrow night call-out",
    "central supply is sending a cart", "central supply is restocking today",
    "CHG is on the cart today", "on the cart today", "duplicate of last week's order",
    "par is being lowered", "enough in central supply", "changed my mind", "too late",
    "card is illegible", "the card is cut off", "card photo", "ecard", "ecard 12345",
    "2026-12-07", "ordered 2026-12-07 for the day shift", "back on 12/07/2026", "PO-00001",
    "ICU", "4W", "LD", "MED-SURG", "float pool RN", "CNA 2 day", "census 14 patients",
    "patient count up to 12", "patients: 12", "pt census 9", "PT coverage", "2 beds closed",
    "bed count low", "bedside table", "room for 2 more", "don't miss ICU huddle",
    "we miss you", "Dr office closed", "ACLS expired 2026-06-30",
]


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in REFUSED.items()
                                            for t in texts])
def test_each_kind_of_patient_identifier_is_refused_with_its_reason(kind: str, text: str
                                                                    ) -> None:
    found = patient_identifier(text)
    assert found is not None, text
    assert found.kind == kind
    assert found.reason.startswith(("looks like", "names a room"))
    assert "patient details out" in found.reason


@pytest.mark.parametrize("text", WARD_TEXT)
def test_ordinary_ward_text_is_allowed(text: str) -> None:
    assert patient_identifier(text) is None


def test_the_reason_never_repeats_the_identifier() -> None:
    for texts in REFUSED.values():
        for text in texts:
            reason = patient_identifier(text).reason
            assert text not in reason
            assert not any(word in reason for word in ("Smith", "00123456", "7654321"))


def test_violations_name_only_the_fields_that_hold_an_identifier() -> None:
    found = violations({"reason": "sick call", "note": "Pt Jane Doe MRN 7654321"})
    assert list(found) == ["note"]
    assert "medical record number" in found["note"]


def test_the_reason_fits_a_slack_modal_error_with_its_field_name() -> None:
    # Slack shows at most 150 characters under a modal field ("reason: " + the reason).
    for texts in REFUSED.values():
        assert all(len(f"reason: {patient_identifier(t).reason}") <= 150 for t in texts)


_identifier = st.sampled_from([t for texts in REFUSED.values() for t in texts])
_around = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(before=_around, identifier=_identifier, after=_around)
def test_an_identifier_anywhere_in_any_text_is_refused(before: str, identifier: str,
                                                       after: str) -> None:
    assert patient_identifier(f"{before} {identifier} {after}") is not None


@given(words=st.lists(st.sampled_from(WARD_TEXT), min_size=1, max_size=4))
def test_ordinary_ward_sentences_stay_allowed_when_joined(words: list[str]) -> None:
    assert patient_identifier(", ".join(words)) is None
