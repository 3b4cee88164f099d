"""`clinops import` as an operator runs it: real services on port 0, the demo hospital, all or
nothing, and a plain sentence (never a traceback) when the file cannot be read."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from clinops import cli
from tests.imports.conftest import Hospital

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
TEAM = "T0CLINOPS"
ICU_MANAGER = f"{TEAM}:U0ICU001"  # Denise Okafor
EDUCATOR = f"{TEAM}:U0EDU001"  # Elaine Brennan
STAFF_NURSE = f"{TEAM}:U0ICU005"  # Jordan Whitfield
DIRECTOR = f"{TEAM}:U0SUP001"  # Harold Jimenez, an approver of every unit


def run_import(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["import", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def expires(hospital: Hospital, staff_id: str, code: str) -> date:
    return next(r.expires_on for r in hospital.training.records_for(staff_id)
                if r.certification_code == code)


# ---- supplies ------------------------------------------------------------------------------

def test_the_sample_cabinet_export_is_written_and_the_proposals_it_opened_are_reported(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "supplies", str(SAMPLES / "supply-cabinet-export.csv"),
                           "--as", DIRECTOR)
    assert code == 0, out
    assert "4 rows written, 2 proposals opened" in out
    assert "for ICU:" in out and "for 4W:" in out
    assert hospital.supplies.get_stock("ICU", "GLOVE-NIT-M").on_hand == 30
    assert hospital.supplies.get_stock("4W", "UNDERPAD").on_hand == 180
    # A row with only use leaves the count alone.
    assert hospital.supplies.get_stock("4W", "GLOVE-NIT-M").on_hand == 9


def test_a_unit_manager_may_not_import_another_units_rows_and_nothing_is_written(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "supplies", str(SAMPLES / "supply-cabinet-export.csv"),
                           "--as", ICU_MANAGER)
    assert code == 1
    assert "refused: you are not an approver for 4W" in out
    assert "nothing was written" in out
    assert hospital.supplies.get_stock("ICU", "GLOVE-NIT-M").on_hand == 34
    assert hospital.supplies.audit_log()[-1].outcome == "REFUSED"


def test_a_staff_nurse_may_not_import_supply_counts(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    export = write(tmp_path, "cabinet.csv", "unit,sku,date,counted\nICU,NS-1000,2026-11-26,1\n")
    code, out = run_import(capsys, "supplies", str(export), "--as", STAFF_NURSE)
    assert code == 1
    # The service refuses before reading a row: she approves for no unit at all.
    assert "refused: you are not an approver for any unit" in out
    assert hospital.supplies.get_stock("ICU", "NS-1000").on_hand != 1


def test_header_names_are_matched_whatever_their_case_spacing_or_delimiter(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    export = write(tmp_path, "omnicell.csv",
                   "UNIT ID;SKU;Count Date;Qty On Hand\r\nicu;ns-1000;2026-11-26;120\r\n")
    code, out = run_import(capsys, "supplies", str(export), "--as", ICU_MANAGER)
    assert code == 0, out
    assert "1 row written" in out
    assert hospital.supplies.get_stock("ICU", "NS-1000").on_hand == 120


def test_one_row_the_service_rejects_writes_nothing_and_names_that_row_and_why(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    export = write(tmp_path, "cabinet.csv",
                   "unit,sku,date,counted,consumed\n"
                   "ICU,GLOVE-NIT-M,2026-11-25,30,14\n"
                   "\n"  # a blank line is not a row
                   "ICU,NOT-A-SKU,2026-11-25,5,1\n"
                   "ICU,NS-1000,2026-11-25,110,6\n")
    code, out = run_import(capsys, "supplies", str(export), "--as", ICU_MANAGER)
    assert code == 1
    assert "row 2: unknown SKU 'NOT-A-SKU'" in out
    assert "nothing was written" in out
    assert "row 1" not in out and "row 3" not in out
    assert hospital.supplies.get_stock("ICU", "GLOVE-NIT-M").on_hand == 34
    assert hospital.supplies.list_proposals("ICU") == []


def test_a_row_that_cannot_be_read_is_named_and_nothing_is_sent(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    export = write(tmp_path, "cabinet.csv",
                   "Unit,SKU,Date,Counted\n"
                   "ICU,GLOVE-NIT-M,2026-11-25,30\n"
                   "ICU,NS-1000,25.11.2026,lots\n")
    code, out = run_import(capsys, "supplies", str(export), "--as", ICU_MANAGER)
    assert code == 1
    assert ("row 2: date '25.11.2026' is not YYYY-MM-DD or M/D/YYYY; "
            "counted 'lots' is not a whole number") in out
    assert "nothing was written" in out
    assert hospital.supplies.get_stock("ICU", "GLOVE-NIT-M").on_hand == 34


def test_an_import_without_an_identity_is_refused_with_the_services_reason(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "supplies", str(SAMPLES / "supply-cabinet-export.csv"))
    assert code == 1
    assert "refused: The call names no Slack team and user" in out
    assert "nothing was written" in out
    assert hospital.supplies.get_stock("ICU", "GLOVE-NIT-M").on_hand == 34


def test_a_service_that_is_not_running_is_named_with_its_address(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CLINOPS_SUPPLIES_TARGET", f"127.0.0.1:{port}")
    code, out = run_import(capsys, "supplies", str(SAMPLES / "supply-cabinet-export.csv"),
                           "--as", ICU_MANAGER, "--deadline", "2")
    assert code == 1
    assert f"supplies is not answering at 127.0.0.1:{port}" in out
    assert "nothing was written" in out


def test_a_service_too_slow_to_answer_is_not_taken_for_one_that_wrote_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the deadline the service may still commit: the operator is told so, and how to find
    out (the same file again is answered once, by its key)."""
    import threading
    from concurrent import futures

    import grpc

    release = threading.Event()

    def slow(request: bytes, context: grpc.ServicerContext) -> bytes:
        release.wait(5)
        return b""

    handler = grpc.method_handlers_generic_handler(
        "clinops.supplies.v1.SuppliesService", {"ImportStock": grpc.unary_unary_rpc_method_handler(
            slow)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        monkeypatch.setenv("CLINOPS_SUPPLIES_TARGET", f"127.0.0.1:{port}")
        code, out = run_import(capsys, "supplies", str(SAMPLES / "supply-cabinet-export.csv"),
                               "--as", ICU_MANAGER, "--deadline", "0.5")
    finally:
        release.set()
        server.stop(None)
    assert code == 1
    assert "did not answer in time" in out and "may or may not have been written" in out
    assert "run the same command again with the same file" in out
    assert "nothing was written" not in out


def test_the_same_stock_file_sent_twice_gets_the_first_answer_again(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    export = write(tmp_path, "cabinet.csv", (SAMPLES / "supply-cabinet-export.csv").read_bytes())
    first = run_import(capsys, "supplies", str(export), "--as", DIRECTOR)
    again = run_import(capsys, "supplies", str(export), "--as", DIRECTOR)
    # Answered afresh, the proposals would already be open: "0 proposals opened".
    assert first[0] == 0 and again == first
    assert "2 proposals opened" in again[1]


# ---- training ------------------------------------------------------------------------------

def test_the_sample_hr_export_is_written_with_us_dates_and_its_own_header_names(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "training", str(SAMPLES / "certifications.csv"),
                           "--as", EDUCATOR)
    assert code == 0, out
    assert "2 records written" in out
    assert expires(hospital, "S1005", "BLS") == date(2028, 11, 30)
    assert expires(hospital, "S1006", "ACLS") == date(2028, 11, 30)


def test_one_bad_row_in_a_certification_csv_writes_nothing_and_names_the_row(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    export = write(tmp_path, "hr.csv",
                   "staff_id,certification_code,issued_on,expires_on\n"
                   "S1005,BLS,2026-11-20,2028-11-30\n"
                   "S1006,XYZ,2026-11-20,2028-11-30\n")
    code, out = run_import(capsys, "training", str(export), "--as", EDUCATOR)
    assert code == 1
    assert "row 2: unknown certification code (XYZ)" in out
    assert "1 entry was rejected; nothing was written" in out
    assert expires(hospital, "S1005", "BLS") == date(2027, 12, 31)


def test_the_sample_fhir_bundle_is_written(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "training", str(SAMPLES / "practitioners-bundle.json"),
                           "--as", EDUCATOR)
    assert code == 0, out
    assert "2 records written" in out
    assert expires(hospital, "S1007", "BLS") == date(2028, 11, 30)
    # No printed expiry: derived as the end of the month two years after issue.
    assert expires(hospital, "S1020", "ACLS") == date(2028, 11, 30)


def test_a_bundle_with_one_bad_practitioner_writes_nothing_and_names_the_entry(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    bundle = json.loads((SAMPLES / "practitioners-bundle.json").read_text())
    del bundle["entry"][1]["resource"]["identifier"]
    path = write(tmp_path, "bundle.json", json.dumps(bundle))
    code, out = run_import(capsys, "training", str(path), "--as", EDUCATOR)
    assert code == 1
    assert "Bundle.entry[1]: Practitioner has no identifier to match a staff id" in out
    assert "nothing was written" in out
    assert expires(hospital, "S1007", "BLS") == date(2027, 9, 30)


def test_a_single_practitioner_resource_is_accepted(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    bundle = json.loads((SAMPLES / "practitioners-bundle.json").read_text())
    path = write(tmp_path, "practitioner.json", json.dumps(bundle["entry"][0]["resource"]))
    code, out = run_import(capsys, "training", str(path), "--as", ICU_MANAGER)
    assert code == 0, out
    assert "1 record written" in out
    assert expires(hospital, "S1007", "BLS") == date(2028, 11, 30)


def test_a_staff_nurse_may_not_import_certifications(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "training", str(SAMPLES / "certifications.csv"),
                           "--as", STAFF_NURSE)
    assert code == 1
    assert "refused: Only an educator or manager of a unit may do this" in out
    assert expires(hospital, "S1005", "BLS") == date(2027, 12, 31)


def test_a_manager_may_import_only_the_staff_of_their_own_units(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_import(capsys, "training", str(SAMPLES / "practitioners-bundle.json"),
                           "--as", ICU_MANAGER)
    assert code == 1
    assert "Bundle.entry[1]: resource 1 qualification 0:" in out
    assert "is not on a unit you manage" in out
    assert expires(hospital, "S1007", "BLS") == date(2027, 9, 30)


# ---- files that are not imports ------------------------------------------------------------

MALFORMED = [
    ("supplies", "empty.csv", b"", "empty.csv is empty"),
    ("supplies", "blank.csv", b"\n \n", "blank.csv is empty"),
    ("supplies", "latin1.csv", "unit,sku,date,counted\nICU,CAFÉ,2026-11-25,1\n".encode("cp1252"),
     "latin1.csv is not UTF-8 text (byte 0xc9"),
    ("supplies", "book.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "is a spreadsheet workbook"),
    ("supplies", "notes.txt", b"Remember to count the cabinet on Friday.\n",
     "no unit, sku, date column"),
    ("supplies", "header.csv", b"unit,sku,date,counted\n", "has a header but no rows"),
    ("supplies", "noqty.csv", b"unit,sku,date\nICU,NS-1000,2026-11-25\n",
     "neither a counted nor a consumed column"),
    ("training", "empty.json", b"   ", "empty.json is empty"),
    ("training", "broken.json", b'{"resourceType": "Bundle", "entry": [', "is not valid JSON"),
    ("training", "patient.json", b'{"resourceType": "Patient"}',
     "not a FHIR Practitioner or Bundle"),
    ("training", "utf16.csv", "staff_id,certification_code\n".encode("utf-16"),
     "no issued_on column"),
]


@pytest.mark.parametrize(("kind", "name", "content", "message"), MALFORMED,
                         ids=[m[1] for m in MALFORMED])
def test_a_file_that_is_not_an_import_gets_a_clear_message_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
    kind: str, name: str, content: bytes, message: str,
) -> None:
    code, out = run_import(capsys, kind, str(write(tmp_path, name, content)),
                           "--as", EDUCATOR)
    assert code == 1
    assert message in out
    assert "nothing was written" in out
    assert "Traceback" not in out


def test_a_missing_file_and_a_malformed_identity_are_plain_messages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code, out = run_import(capsys, "supplies", str(tmp_path / "nowhere.csv"))
    assert code == 1 and "cannot read" in out and "No such file" in out
    code, out = run_import(capsys, "supplies", str(SAMPLES / "supply-cabinet-export.csv"),
                           "--as", "U0ICU001")
    assert code == 1 and "expected SLACK_TEAM:SLACK_USER" in out


def test_the_installed_command_prints_no_traceback_for_an_unreadable_file(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "export.csv", b"\xff\xd8\xff\xe0 a photo, not a CSV")
    clinops = Path(sys.executable).with_name("clinops")
    done = subprocess.run([str(clinops), "import", "supplies", str(path)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 1
    assert "export.csv is not UTF-8 text" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
