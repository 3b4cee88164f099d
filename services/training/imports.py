"""Reading certification imports: an HR/learning-system CSV, or FHIR R4 Practitioner resources.

Parsing only: each entry becomes a candidate row or a rejection with its reason. Whether the
person and type exist, and whether the importer may write them, the use case decides.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.practitioner import Practitioner
from pydantic import ValidationError

from clinops.phi_guard import patient_identifier
from services.training.errors import InvalidInput

CSV_COLUMNS = ("staff_id", "certification_code", "issued_on", "expires_on", "evidence_reference")
REQUIRED_CSV_COLUMNS = ("staff_id", "certification_code", "issued_on")
MAX_ENTRIES = 10_000
# A Bundle of Practitioners with their qualifications' codings is 7 levels deep; deeper is not
# an HR export, and validating it would recurse through every level.
MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class Candidate:
    """A record as the import states it; `codes` are the type codes offered, best first."""

    position: int
    staff_id: str
    codes: tuple[str, ...]
    issued_on: date | None
    expires_on: date | None
    evidence_reference: str
    label: str  # how to name the entry in a reason, e.g. "qualification 1"


@dataclass(frozen=True)
class Rejection:
    position: int
    reason: str


def _iso_date(text: str, column: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{column} {text.strip()!r} is not a date (YYYY-MM-DD)") from None


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput({"content": "not UTF-8 text"}) from None


def read_csv(content: bytes) -> tuple[list[Candidate], list[Rejection]]:
    """Rows of `staff_id,certification_code,issued_on,expires_on,evidence_reference`."""
    try:
        return _read_csv(content)
    except csv.Error as error:
        # The csv module refuses a cell over its field limit (128 KiB) and stray quoting; no
        # export has either, so the file is not the HR export it claims to be.
        raise InvalidInput({"content": f"not a readable CSV export: {error}"}) from None


def _read_csv(content: bytes) -> tuple[list[Candidate], list[Rejection]]:
    reader = csv.DictReader(io.StringIO(_decode(content)))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    if missing:
        raise InvalidInput({"content": f"CSV header lacks {', '.join(missing)}; expected "
                                       f"{','.join(CSV_COLUMNS)} (expires_on optional)"})
    candidates, rejections = [], []
    for position, raw in enumerate(reader, start=1):
        if position > MAX_ENTRIES:
            raise InvalidInput({"content": f"at most {MAX_ENTRIES} rows per import"})
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else ""
               for k, v in raw.items()}
        if not any(row.values()):
            continue
        problems = []
        issued = expires = None
        if not row.get("issued_on"):
            problems.append("issued_on missing")
        else:
            try:
                issued = _iso_date(row["issued_on"], "issued_on")
            except ValueError as error:
                problems.append(str(error))
        if row.get("expires_on"):
            try:
                expires = _iso_date(row["expires_on"], "expires_on")
            except ValueError as error:
                problems.append(str(error))
        # The one free-text cell: it is stored and shown to reviewers (clinops.phi_guard).
        if found := patient_identifier(row.get("evidence_reference", "")):
            problems.append(f"evidence_reference {found.reason}")
        if problems:
            rejections.append(Rejection(position, "; ".join(problems)))
            continue
        code = row.get("certification_code", "").upper()
        candidates.append(Candidate(position, row.get("staff_id", ""), (code,) if code else (),
                                    issued, expires, row.get("evidence_reference", ""),
                                    f"row {position}"))
    return candidates, rejections


def _as_date(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # FHIR allows partial dates ("2024" or "2024-06"): too vague for an expiry.
    raise ValueError(f"{value!r} is not a full date")


def _practitioner(position: int, resource: Any) -> tuple[list[Candidate], list[Rejection]]:
    staff_id = next((i.value.strip() for i in resource.identifier or () if i.value), "")
    if not staff_id:
        return [], [Rejection(position, "Practitioner has no identifier to match a staff id")]
    if not resource.qualification:
        return [], [Rejection(position, f"Practitioner {staff_id} has no qualification")]
    candidates, rejections = [], []
    for index, qualification in enumerate(resource.qualification):
        codes = tuple(c.code.strip().upper() for c in qualification.code.coding or () if c.code)
        if qualification.code.text:
            codes += (qualification.code.text.strip().upper(),)
        period = qualification.period
        try:
            issued = _as_date(period.start if period else None)
            expires = _as_date(period.end if period else None)
        except ValueError as error:
            rejections.append(Rejection(position, f"qualification {index}: period {error}"))
            continue
        if issued is None and expires is None:
            rejections.append(Rejection(
                position, f"qualification {index}: no period.end and no period.start"))
            continue
        reference = f"Practitioner/{resource.id}" if resource.id else f"Practitioner {staff_id}"
        candidates.append(Candidate(position, staff_id, codes, issued, expires, reference,
                                    f"resource {position} qualification {index}"))
    return candidates, rejections


def _validation_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"not a valid FHIR R4 Practitioner: {where}: {first['msg']}"


def _nested_deeper(value: Any, levels: int) -> bool:
    """Whether `value` holds objects or arrays more than `levels` deep (stops once it does)."""
    if levels < 0:
        return True
    children = (value.values() if isinstance(value, dict)
                else value if isinstance(value, list) else ())
    return any(_nested_deeper(child, levels - 1) for child in children)


def _json(text: str) -> Any:
    """The parsed JSON, or InvalidInput naming `content` for what no FHIR export holds."""
    document, too_deep = None, False
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput({"content": f"not JSON: {error.msg} at line {error.lineno}"}) from None
    except RecursionError:
        too_deep = True  # nested past Python's own limit
    except ValueError:
        # Python converts at most 4,300 digits to an int; no date or count has as many.
        raise InvalidInput({"content": "holds a number with thousands of digits"}) from None
    if too_deep or _nested_deeper(document, MAX_JSON_DEPTH):
        raise InvalidInput({"content": f"JSON nested more than {MAX_JSON_DEPTH} levels deep; "
                                       "a FHIR Practitioner needs fewer than 10"})
    return document


def read_fhir(content: bytes) -> tuple[list[Candidate], list[Rejection]]:
    """A FHIR R4 Practitioner, or a Bundle of them (positions are 0-based resource indexes)."""
    document = _json(_decode(content))
    if not isinstance(document, dict):
        raise InvalidInput({"content": "expected a FHIR resource (a JSON object)"})
    kind = document.get("resourceType")
    if kind == "Practitioner":
        resources: list[Any] = [document]
    elif kind == "Bundle":
        try:
            Bundle.model_validate({**document, "entry": []})
        except ValidationError as error:
            raise InvalidInput({"content": f"not a valid FHIR Bundle: {error.errors()[0]['msg']}"}
                               ) from None
        resources = [entry.get("resource") if isinstance(entry, dict) else None
                     for entry in document.get("entry") or ()]
    else:
        raise InvalidInput({"content": "expected resourceType Practitioner or Bundle, got "
                                       f"{kind!r}"})
    if len(resources) > MAX_ENTRIES:
        raise InvalidInput({"content": f"at most {MAX_ENTRIES} resources per import"})
    candidates, rejections = [], []
    for position, resource in enumerate(resources):
        if not isinstance(resource, dict) or resource.get("resourceType") != "Practitioner":
            found = resource.get("resourceType") if isinstance(resource, dict) else None
            rejections.append(Rejection(position, f"expected a Practitioner, got {found!r}"))
            continue
        try:
            practitioner = Practitioner.model_validate(resource)
        except ValidationError as error:
            rejections.append(Rejection(position, _validation_reason(error)))
            continue
        found_candidates, found_rejections = _practitioner(position, practitioner)
        candidates += found_candidates
        rejections += found_rejections
    return candidates, rejections
