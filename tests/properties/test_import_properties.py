"""Any import file, however odd, is written whole or refused whole, never with UNKNOWN.

For each format `clinops import` reads — supply-cabinet stock CSV, receiving-dock receipts CSV,
roster CSV, training CSV and FHIR JSON — generated files (real columns with odd, implausible
and oversized cells: dates of year 1 and 9999, 5,001-digit numbers, cells over the csv
module's 128 KiB limit, JSON nested far too deep) go through the CLI's own reading and the
service's import RPC, as the manager of ICU, on SQLite and PostgreSQL. The file is refused by
the CLI with its reason, or the service answers OK or a proper status; and whenever nothing is
said to be written, the service's data is as it was.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinops import imports, roster, rpc
from clinops.imports import ImportFileError, Outcome
from tests.properties.services import Running

MANAGER = rpc.Caller(slack_team_id="T0CLINOPS", slack_user_id="U0ICU001")  # Denise Okafor, ICU
EXAMPLES = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
# What a person may be told: anything but the service failing (UNKNOWN, INTERNAL) or a deadline.
UNHEALTHY = ("answered UNKNOWN", "answered INTERNAL", "did not answer in time",
             "is not answering")


@pytest.fixture
def services(stack: Running) -> Running:
    return stack


# ---- cells -----------------------------------------------------------------------------------

HUGE_DIGITS = "9" * 5001
# Over the csv module's field limit (131,072 characters): the reader refuses such a cell.
HUGE_CELL = "x" * (128 * 1024 + 1)
ODD = st.sampled_from(["", " ", "0", "-1", "é", "\u202e", "=1+1", "'; DROP TABLE units;--",
                       HUGE_DIGITS, HUGE_DIGITS + ".0", "1e308", "NaN", "9" * 30, HUGE_CELL])
DAYS = st.one_of(st.sampled_from(["2026-01-15", "0001-01-01", "9999-12-31", "1949-12-31",
                                  "1950-01-01", "2100-06-30", "2/30/2026", "13/45/2026",
                                  "12/1/2025", "2026-11-30T07:00:00", "yesterday"]),
                 st.dates().map(lambda d: d.isoformat()), ODD)
UNITS = st.one_of(st.sampled_from(["ICU", "icu", "4W", "ZZ"]), ODD)
STAFF = st.one_of(st.sampled_from(["S1005", "S1006", "S1001", "S1016", "S9999"]), ODD)
QUANTITIES = st.one_of(st.integers(-5, 10**6).map(str), st.sampled_from(["1,200", "3.0", "2.5"]),
                       ODD)
SKUS = st.one_of(st.sampled_from(["FLUSH-NS-10", "IV-START-KIT", "IVCATH-18G", "NOPE"]), ODD)


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def rows_of(*cells: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(st.tuples(*cells).map(list), min_size=1, max_size=4)


# ---- the property --------------------------------------------------------------------------

def imported_whole_or_not_at_all(services: Running, service: str,
                                 send: Callable[[], Outcome]) -> None:
    """Run one import; a refusal is said plainly and leaves the service's data unchanged."""
    before = services.snapshot(service)
    outcome = send()
    said = "\n".join(outcome.lines)
    assert not any(word in said for word in UNHEALTHY), said
    if not outcome.ok:
        assert said.endswith("nothing was written"), said
        assert services.snapshot(service) == before, said


def cli_refusal(read: Callable[[], object]) -> Outcome | object:
    """The CLI's reading of the file: its rows, or the Outcome it prints when it cannot."""
    try:
        return read()
    except ImportFileError as error:
        return Outcome(False, [str(error), "nothing was written"])


@EXAMPLES
@given(header=st.sampled_from([["unit", "sku", "date", "counted", "consumed"],
                               ["Department", "Item Number", "Count Date", "On Hand"],
                               ["unit", "sku", "date", "used"]]),
       rows=rows_of(UNITS, SKUS, DAYS, QUANTITIES, QUANTITIES))
def check_stock(services: Running, header: list[str], rows: list[list[str]]) -> None:
    content = csv_file(header, [row[:len(header)] for row in rows])

    def send() -> Outcome:
        read = cli_refusal(lambda: imports.read_stock_csv(content, "cabinet.csv"))
        if isinstance(read, Outcome):
            return read
        good, rejected = read
        if rejected:
            return imports._rejections(rejected)
        return imports.import_stock(good, channel=services.channels["supplies"],
                                    caller=MANAGER, deadline_seconds=20)

    imported_whole_or_not_at_all(services, "supplies", send)


def test_any_stock_csv_is_written_whole_or_refused_whole(services: Running) -> None:
    check_stock(services)


@EXAMPLES
@given(rows=rows_of(st.one_of(st.sampled_from(["PO-00001", "po-1", "1", "PO-" + HUGE_DIGITS,
                                               "RP-00001"]), ODD), SKUS, QUANTITIES))
def check_receipts(services: Running, rows: list[list[str]]) -> None:
    content = csv_file(["PO Number", "Item Number", "Qty Received"], rows)

    def send() -> Outcome:
        read = cli_refusal(lambda: imports.read_receipts_csv(content, "dock.csv"))
        if isinstance(read, Outcome):
            return read
        good, rejected = read
        if rejected:
            return imports._rejections(rejected)
        return imports.import_receipts(good, channel=services.channels["supplies"],
                                       caller=MANAGER, deadline_seconds=20)

    imported_whole_or_not_at_all(services, "supplies", send)


def test_any_receipts_csv_is_written_whole_or_refused_whole(services: Running) -> None:
    check_receipts(services)


@EXAMPLES
@given(rows=rows_of(STAFF, UNITS, DAYS, st.one_of(st.sampled_from(["DAY", "night", "EVE"]), ODD),
                    st.one_of(st.sampled_from(["", "STAFF", "CHARGE", "BOSS"]), ODD),
                    st.one_of(st.sampled_from(["", "yes", "no", "maybe"]), ODD)))
def check_roster(services: Running, rows: list[list[str]]) -> None:
    content = csv_file(["staff_id", "unit", "date", "shift", "duty", "carries_patients"], rows)

    def send() -> Outcome:
        read = cli_refusal(lambda: roster.read_assignments_csv(content, "roster.csv"))
        if isinstance(read, Outcome):
            return read
        good, rejected = read
        if rejected:
            return imports._rejections(rejected)
        return roster.import_assignments(good, channel=services.channels["staffing"],
                                         caller=MANAGER, deadline_seconds=20)

    imported_whole_or_not_at_all(services, "staffing", send)


def test_any_roster_csv_is_written_whole_or_refused_whole(services: Running) -> None:
    check_roster(services)


def send_training(services: Running, content: bytes) -> Outcome:
    """The CLI's path for a certification file: read, canonicalise or check, send."""
    try:
        text = imports.read_text(content, "certs")
        kind = imports.training_format(text)
        if kind == "CSV":
            payload, resource = imports.canonical_training_csv(text, "certs"), ""
        else:
            payload, resource = text.encode(), imports.fhir_kind(text, "certs")
    except ImportFileError as error:
        return Outcome(False, [str(error), "nothing was written"])
    return imports.import_training(payload, kind, channel=services.channels["training"],
                                   caller=MANAGER, deadline_seconds=20, fhir_resource=resource)


@EXAMPLES
@given(rows=rows_of(STAFF, st.one_of(st.sampled_from(["BLS", "acls", "PALS", "XYZ"]), ODD),
                    DAYS, DAYS, st.one_of(st.just("card 1"), ODD)))
def check_training_csv(services: Running, rows: list[list[str]]) -> None:
    content = csv_file(["Employee ID", "Certification", "Issue Date", "Expiration Date",
                        "Card Number"], rows)
    imported_whole_or_not_at_all(services, "training", lambda: send_training(services, content))


def test_any_training_csv_is_written_whole_or_refused_whole(services: Running) -> None:
    check_training_csv(services)


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                        st.text(max_size=12), DAYS)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


def practitioner(staff_id: str, code: str, start: str, end: str, extra: object) -> dict:
    return {"resourceType": "Practitioner", "identifier": [{"value": staff_id}],
            "qualification": [{"code": {"coding": [{"code": code}]},
                               "period": {"start": start, "end": end}}], **(
                {"extension": extra} if extra is not None else {})}


def raw_json(document: dict, oddity: str) -> bytes:
    """The document as text, with one of the oddities no exporter writes spliced in."""
    text = json.dumps(document)
    splice = {"none": None,
              "deep": "[" * 100_000 + "]" * 100_000,
              "digits": HUGE_DIGITS,
              "float-digits": HUGE_DIGITS + ".5",
              "nested-40": "[" * 40 + "]" * 40}[oddity]
    if splice is None:
        return text.encode()
    return (text[:-1] + f', "note": {splice}}}').encode()


@EXAMPLES
@given(entries=st.lists(st.tuples(STAFF, st.sampled_from(["BLS", "ACLS", "NOPE"]), DAYS, DAYS,
                                  st.one_of(st.none(), JSON_VALUES)), min_size=1, max_size=3),
       bundle=st.booleans(),
       oddity=st.sampled_from(["none", "deep", "digits", "float-digits", "nested-40"]))
def check_fhir(services: Running, entries: list[tuple], bundle: bool, oddity: str) -> None:
    resources = [practitioner(*entry) for entry in entries]
    document = ({"resourceType": "Bundle", "type": "collection",
                 "entry": [{"resource": r} for r in resources]} if bundle else resources[0])
    content = raw_json(document, oddity)
    imported_whole_or_not_at_all(services, "training", lambda: send_training(services, content))


def test_any_fhir_json_is_written_whole_or_refused_whole(services: Running) -> None:
    check_fhir(services)


def test_an_import_over_the_message_limit_says_to_split_the_file(services: Running) -> None:
    content = b"staff_id,certification_code,issued_on\n" + b"S1005,BLS,2026-01-02\n" * 250_000
    before = services.snapshot("training")
    outcome = imports.import_training(content, "CSV", channel=services.channels["training"],
                                      caller=MANAGER, deadline_seconds=20)
    assert not outcome.ok
    assert "split the file into parts under 3 MB" in outcome.lines[0]
    assert services.snapshot("training") == before


def test_a_service_refusing_an_import_as_too_large_says_to_split_the_file(
        services: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI believes the service takes more than it does: the service's own limit speaks.
    monkeypatch.setattr(imports, "MAX_REQUEST_BYTES", 64 * 1024 * 1024)
    content = b"staff_id,certification_code,issued_on\n" + b"S1005,BLS,2026-01-02\n" * 250_000
    before = services.snapshot("training")
    outcome = imports.import_training(content, "CSV", channel=services.channels["training"],
                                      caller=MANAGER, deadline_seconds=20)
    assert outcome.lines == ["training refused the import as too large to take at once: split "
                             "the file into parts under 3 MB and import each",
                             "nothing was written"]
    assert services.snapshot("training") == before
