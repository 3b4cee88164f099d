"""The digest's pictures and text are functions of the numbers: no Slack, no services."""

import io
import struct
from datetime import date, timedelta

from bot import charts, digest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    # The IHDR chunk follows the signature: width and height as big-endian 32-bit integers.
    return struct.unpack(">II", png[16:24])


def test_staffing_gap_chart_is_a_png_of_the_slack_preview_size():
    png = charts.staffing_gap_chart("ICU", [("Mon 23 day", 2), ("Mon 23 night", 0),
                                            ("Tue 24 day", None)])
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 1000
    assert _size(png) == (800, 400)


def test_compliance_chart_draws_even_when_a_week_had_no_staff_on_file():
    png = charts.compliance_chart("ICU", [(date(2026, 11, 19), None), (date(2026, 11, 26), 85.0)])
    assert png.startswith(PNG_SIGNATURE) and _size(png) == (800, 400)


def test_spend_chart_draws_with_and_without_a_budget():
    for budget in (0, 500_000):
        png = charts.spend_chart("ICU", "November 2026", 612_345, budget)
        assert png.startswith(PNG_SIGNATURE) and _size(png) == (800, 400)


def _digest(**changes) -> digest.UnitDigest:
    today = date(2026, 11, 26)
    fields = dict(
        unit_id="ICU", today=today,
        shift_gaps=[(today - timedelta(days=1), "day", 2), (today - timedelta(days=1), "night", 0),
                    (today - timedelta(days=2), "day", None)],
        compliance=[(today - timedelta(weeks=1), 10, 7), (today, 12, 9)],
        month="November 2026", spent_cents=150_000, budget_cents=600_000)
    fields.update(changes)
    return digest.UnitDigest(**fields)


def test_digest_text_gives_short_shifts_latest_compliance_and_share_of_budget():
    text = digest.digest_text(_digest())
    assert "*ICU weekly digest* (7 days to 2026-11-26)" in text
    assert "1 of 3 shifts short, 2 staff short in all" in text
    assert "75% fully compliant (9 of 12)" in text
    assert "$1,500 approved in November 2026, 25% of the $6,000 budget" in text


def test_digest_text_says_so_when_no_shift_was_short_and_no_budget_is_on_file():
    text = digest.digest_text(_digest(shift_gaps=[(date(2026, 11, 25), "day", 0)],
                                      budget_cents=0))
    assert "no shift short in the past 7 days" in text
    assert "(no budget on file)" in text


def test_chart_files_are_three_named_pngs_ready_for_files_upload_v2():
    files = digest.chart_files(_digest())
    assert [f["filename"] for f in files] == [
        "ICU-staffing-gap-2026-11-26.png", "ICU-compliance-2026-11-26.png",
        "ICU-spend-2026-11-26.png"]
    assert all(io.BytesIO(f["content"]).read(8) == PNG_SIGNATURE for f in files)
