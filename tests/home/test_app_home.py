"""App Home as a nurse, a unit manager and with a service down, over the real Bolt app."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.app import create_app
from bot.blocks.home import Home, ShiftGapLine, UnitReadiness, home_view
from bot.clients import ServiceClients
from bot.dedupe import InProcessDedupe
from clinops.slack_standin import SlackStandIn
from tests.observability.stack import Stack, make_settings, view_text

ZONE = ZoneInfo("America/Los_Angeles")


async def test_a_nurse_sees_her_next_shift_and_certifications_with_days_left(stack) -> None:
    view = await stack.open_home(stack.user("charge"))

    text = view_text(view)
    assert view["type"] == "home"
    assert "For Maya Castillo" in text
    assert "2026-11-27 07:00–19:00 · ICU (day)" in text
    # Soonest to lapse first, flagged when inside a month.
    assert text.index("CCRN") < text.index("BLS")
    assert "CCRN* — valid through 2026-11-30, 4 days left" in text
    assert "Nothing waiting for you." in text
    # She runs the ICU's shift, so she gets its readiness card too (as its manager does).
    assert "Readiness — Intensive Care Unit" in text


async def test_a_unit_manager_gets_a_readiness_card_for_her_unit(stack) -> None:
    view = await stack.open_home(stack.user("manager"))

    text = view_text(view)
    assert "Readiness — Intensive Care Unit" in text
    assert "*Staffing:* 11-26 day: short 1 licensed nurse; 11-26 night:" in text
    assert "*Certifications:* 93% compliant (14 of 15 staff)" in text
    assert "*Supplies:* 1 at or below reorder point — Chlorhexidine" in text
    # No proposal on the ICU yet: the budget comes from supplies all the same.
    assert "*Budget:* $0 of $40,000 spent in November (0%)" in text


async def test_a_service_that_does_not_answer_shows_not_available_in_its_own_card_only(
        services, hospital) -> None:
    with SlackStandIn(team_id=hospital.team_id) as slack:
        # Nothing listens on port 1: supplies does not answer.
        settings = make_settings(slack, staffing=services.staffing_port, supplies=1,
                                 training=services.training_port)
        clients = ServiceClients.from_settings(settings)
        stack = Stack(create_app(settings, clients, dedupe=InProcessDedupe()), slack, hospital,
                      services, clients)
        try:
            view = await stack.open_home(stack.user("manager"))
        finally:
            await clients.close()

    text = view_text(view)
    assert "*Reorder proposals:* _not available right now_" in text
    assert "*Supplies:* _not available right now_" in text
    assert "*Budget:* _not available right now_" in text
    # Staffing and training still answer, so their parts are there.
    assert "2026-11-27 07:00–19:00 · ICU (day)" in text
    assert "% compliant" in text
    assert "*Staffing:* 11-26 day" in text


def test_the_home_view_says_not_available_for_each_missing_part() -> None:
    view = home_view(Home(display_name="Ana", readiness=[UnitReadiness("4W", "4 West")]),
                     zone=ZONE).to_dict()

    text = view_text(view)
    # Shifts, certs, the three kinds of approval, and the card's four parts.
    assert text.count("not available") == 9


def test_a_readiness_card_reads_like_a_handover() -> None:
    card = UnitReadiness("ICU", "Intensive Care Unit",
                         shifts=(ShiftGapLine("11-26 day", 2), ShiftGapLine("11-26 night", None)),
                         compliant=9, staff_count=12, low_items=(), month="November",
                         spent_cents=174_000, budget_cents=4_000_000)
    view = home_view(Home(shifts=[], records=[], proposals=[], readiness=[card]),
                     zone=ZONE).to_dict()

    text = view_text(view)
    assert "11-26 day: short 2 licensed nurses; 11-26 night: no census" in text
    assert "75% compliant (9 of 12 staff)" in text
    assert "nothing at or below its reorder point" in text
    assert "*Budget:* $1,740 of $40,000 spent in November (4%)" in text
    assert "No shifts scheduled" in text and "No certifications on file." in text
