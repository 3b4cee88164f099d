"""`clinops import receipts` as a receiving dock's clerk or a charge nurse runs it: real services
on port 0 seeded with the demo hospital; partial receipts, and all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinops import cli
from clinops.clock import fixed_clock
from services.supplies import usecases
from services.supplies.model import Actor, Decision
from tests.imports.conftest import NOW, Hospital
from tests.imports.test_import_command import run_import, write

TEAM = "T0CLINOPS"
ICU_CHARGE_NURSE = f"{TEAM}:U0ICU002"  # Maya Castillo
FOUR_WEST_CHARGE_NURSE = f"{TEAM}:U04W0002"  # Gloria Mendoza
STAFF_NURSE = f"{TEAM}:U0ICU012"  # Derek Lindqvist


def approved_chg_order(hospital: Hospital) -> tuple[str, int]:
    """ICU's CHG cloths counted low and the proposal approved by Denise: (PO, quantity)."""
    clock = fixed_clock(NOW)
    counted = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=2,
                                    caller=Actor(TEAM, "U0ICU002"), store=hospital.supplies,
                                    clock=clock)
    assert counted.proposal is not None
    approved = usecases.decide_proposal(proposal_id=counted.proposal.reference,
                                        decision=Decision.APPROVE,
                                        caller=Actor(TEAM, "U0ICU001"),
                                        store=hospital.supplies, clock=clock)
    return approved.purchase_order_id, approved.lines[0].quantity


def test_a_charge_nurse_imports_a_partial_delivery_and_the_order_stays_open(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    number, ordered = approved_chg_order(hospital)
    before = hospital.supplies.get_stock("ICU", "CHG-CLOTH")
    dock = write(tmp_path, "dock.csv", f"PO Number,Item Number,Qty Received\n{number},"
                                       f"CHG-CLOTH,48\n")
    code, out = run_import(capsys, "receipts", str(dock), "--as", ICU_CHARGE_NURSE)
    assert code == 0, out
    assert "1 row written, 1 purchase order received into stock" in out
    assert f"{number} for ICU: CHG-CLOTH +48 ({ordered - 48} still expected)" in out
    after = hospital.supplies.get_stock("ICU", "CHG-CLOTH")
    assert (after.on_hand, after.on_order) == (before.on_hand + 48, before.on_order - 48)
    # The rest arrives: the order is fully received.
    rest = write(tmp_path, "rest.csv", f"po,sku,quantity\n{number},CHG-CLOTH,{ordered - 48}\n")
    code, out = run_import(capsys, "receipts", str(rest), "--as", ICU_CHARGE_NURSE)
    assert code == 0, out
    assert f"{number} for ICU: CHG-CLOTH +{ordered - 48} (fully received)" in out
    assert hospital.supplies.get_stock("ICU", "CHG-CLOTH").on_order == before.on_order - ordered


def test_one_bad_row_and_nothing_is_received_every_bad_row_named_as_the_file_numbers_it(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    number, ordered = approved_chg_order(hospital)
    before = hospital.supplies.get_stock("ICU", "CHG-CLOTH")
    dock = write(tmp_path, "dock.csv", "PO,SKU,Received\n"
                                       f"{number},CHG-CLOTH,10\n"
                                       "\n"
                                       f"{number},CHG-CLOTH,{ordered}\n"
                                       "PO-09999,CHG-CLOTH,1\n"
                                       f"{number},CHG-CLOTH,lots\n")
    code, out = run_import(capsys, "receipts", str(dock), "--as", ICU_CHARGE_NURSE)
    assert code == 1
    # A quantity that is not a number is caught before anything is sent.
    assert out.splitlines() == ["row 4: quantity 'lots' is not a whole number",
                                "1 entry was rejected; nothing was written"]
    dock = write(tmp_path, "dock.csv", "PO,SKU,Received\n"
                                       f"{number},CHG-CLOTH,10\n"
                                       "\n"
                                       f"{number},CHG-CLOTH,{ordered}\n"
                                       "PO-09999,CHG-CLOTH,1\n")
    code, out = run_import(capsys, "receipts", str(dock), "--as", ICU_CHARGE_NURSE)
    assert code == 1
    assert out.splitlines() == [
        f"row 2: over-receipt: {number} CHG-CLOTH expects {ordered} more (0 of {ordered} "
        f"received), this file brings {ordered + 10}",
        "row 3: no purchase order PO-09999",
        "2 entries were rejected; nothing was written"]
    assert hospital.supplies.get_stock("ICU", "CHG-CLOTH") == before


@pytest.mark.parametrize("who", [STAFF_NURSE, FOUR_WEST_CHARGE_NURSE])
def test_a_nurse_who_may_not_receive_the_units_orders_is_refused_and_nothing_moves(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path, who: str,
) -> None:
    number, _ = approved_chg_order(hospital)
    before = hospital.supplies.get_stock("ICU", "CHG-CLOTH")
    dock = write(tmp_path, "dock.csv", f"po,sku,qty\n{number},CHG-CLOTH,1\n")
    code, out = run_import(capsys, "receipts", str(dock), "--as", who)
    assert code == 1
    # Refused by the service's table (receives for no unit) or by the use case (not ICU's).
    assert re.search(r"refused: only (ICU|a unit)'s charge nurses, manager and approvers may "
                     r"receive", out)
    assert out.count("nothing was written") == 1
    assert "nothing was written" in out
    assert hospital.supplies.get_stock("ICU", "CHG-CLOTH") == before
    assert hospital.supplies.audit_log()[-1].outcome == "REFUSED"


def test_a_file_without_a_quantity_column_is_explained_in_one_sentence(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    dock = write(tmp_path, "dock.csv", "po,sku,date\nPO-00001,CHG-CLOTH,2026-11-26\n")
    code, out = run_import(capsys, "receipts", str(dock), "--as", ICU_CHARGE_NURSE)
    assert code == 1
    assert "no quantity column" in out and "nothing was written" in out


def test_receipts_is_one_of_the_import_kinds() -> None:
    args = cli.parser().parse_args(["import", "receipts", "dock.csv", "--as", "T:U"])
    assert (args.kind, args.caller) == ("receipts", "T:U")


def test_the_sample_dock_export_in_the_docs_receives_half_of_the_first_order(
    hospital: Hospital, capsys: pytest.CaptureFixture[str],
) -> None:
    number, ordered = approved_chg_order(hospital)
    assert (number, ordered) == ("PO-00001", 96)
    sample = Path(__file__).resolve().parents[2] / "docs/samples/receiving-dock-export.csv"
    code, out = run_import(capsys, "receipts", str(sample), "--as", ICU_CHARGE_NURSE)
    assert code == 0, out
    assert "PO-00001 for ICU: CHG-CLOTH +48 (48 still expected)" in out


def test_the_same_file_imported_twice_receives_once_and_a_new_export_receives_again(
    hospital: Hospital, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    number, _ = approved_chg_order(hospital)
    before = hospital.supplies.get_stock("ICU", "CHG-CLOTH")
    dock = write(tmp_path, "dock.csv", f"po,sku,qty\n{number},CHG-CLOTH,24\n")
    first = run_import(capsys, "receipts", str(dock), "--as", ICU_CHARGE_NURSE)
    again = run_import(capsys, "receipts", str(dock), "--as", ICU_CHARGE_NURSE)
    assert again == first and first[0] == 0
    assert hospital.supplies.get_stock("ICU", "CHG-CLOTH").on_hand == before.on_hand + 24
    # The next day's export of another 24 is another file: it is received.
    later = write(tmp_path, "dock-2.csv", f"po,sku,qty\n{number},CHG-CLOTH,24\n")
    code, out = run_import(capsys, "receipts", str(later), "--as", ICU_CHARGE_NURSE)
    assert code == 0, out
    assert hospital.supplies.get_stock("ICU", "CHG-CLOTH").on_hand == before.on_hand + 48
