"""Receiving a purchase order as a new user would in `clinops demo` (stdin → stdout): the
manager approves, a staff nurse may not receive, the ICU's charge nurse receives."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
/supply status ICU
/supply count ICU CHG-CLOTH 2
as Denise
click 1
as Derek
/supply receive PO-00001
/supply receive soon
as Maya Castillo
/supply receive PO-00001
/supply status ICU
as Denise
/supply receive PO-00001
"""


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def transcript(demo_dir: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=SCRIPT,
                            capture_output=True, text=True, cwd=demo_dir, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_approved_order_is_handed_off_as_a_file_in_the_demo_data_folder(
    transcript: str, demo_dir: Path,
) -> None:
    order = json.loads((demo_dir / "data/demo/purchase-orders/PO-00001.json").read_text())
    assert order["unit"] == "ICU" and order["lines"][0]["sku"] == "CHG-CLOTH"
    assert order["lines"][0]["quantity"] == 96


def test_the_charge_nurse_receives_the_approved_order_and_on_hand_rises(transcript: str) -> None:
    maya = transcript[transcript.index("Now acting as Maya Castillo"):]
    received = maya[maya.index("Received PO-00001 into ICU (1 line):"):]
    assert "(CHG-CLOTH): +96 on hand → 98 on hand, 0 on order" in received
    assert "PO-00001 is now fully received." in received
    # Before the receipt CHG cloths were short; after it, status no longer lists them.
    first, last = transcript.split("Supplies short — ICU")[1], \
        transcript.split("Supplies short — ICU")[2]
    assert "(CHG-CLOTH)" in first.split("\n\n")[0]
    assert "(CHG-CLOTH)" not in last.split("\n\n")[0]


def test_a_second_receipt_names_the_charge_nurse_who_received_it(transcript: str) -> None:
    denise = transcript[transcript.rindex("Now acting as Denise"):]
    assert "PO-00001 was already received by Maya Castillo" in denise


def test_a_staff_nurse_cannot_receive_and_a_bad_number_gets_the_usage(transcript: str) -> None:
    derek = transcript[transcript.index("Now acting as Derek"):
                       transcript.index("Now acting as Maya Castillo")]
    assert "Only ICU's charge nurses, manager and approvers may receive its orders" in derek
    assert "Received PO-00001" not in derek
    assert "soon is not a purchase order number such as PO-00001." in derek
    assert "/supply receive PO-00001 — a delivered order" in derek
