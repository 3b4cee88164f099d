"""`/certs` text → what the nurse asked for, without Slack or services."""

from datetime import date

import pytest

from bot.commands.certs import (
    CertsUsage,
    ComplianceExport,
    MyCerts,
    Renewal,
    SomeonesCerts,
    UnitCompliance,
    parse_certs,
)


def test_no_text_means_my_own_certifications() -> None:
    assert parse_certs("") == MyCerts()
    assert parse_certs("   ") == MyCerts()


def test_a_mention_with_its_name_is_someone_by_slack_user_id() -> None:
    assert parse_certs("<@U0ICU012|derek>") == SomeonesCerts("U0ICU012", "derek")


def test_a_bare_mention_is_someone_without_a_label() -> None:
    query = parse_certs(" <@U0ICU012> ")
    assert query == SomeonesCerts("U0ICU012", "")
    assert query.mention == "<@U0ICU012>"


def test_a_plain_at_name_asks_for_a_real_mention() -> None:
    answer = parse_certs("@derek")
    assert isinstance(answer, CertsUsage)
    assert "@ list" in answer.problem


@pytest.mark.parametrize("text, unit", [("ICU", "ICU"), ("icu", "ICU"), ("4W", "4W"),
                                        ("5t", "5T")])
def test_a_unit_is_its_compliance_whatever_the_case(text: str, unit: str) -> None:
    assert parse_certs(text) == UnitCompliance(unit)


@pytest.mark.parametrize("text", ["renew ACLS 2028-11-30", "renew acls 2028-11-30",
                                  "RENEW ACLS expires 2028-11-30"])
def test_renew_takes_the_type_and_the_printed_expiry(text: str) -> None:
    assert parse_certs(text) == Renewal("ACLS", date(2028, 11, 30))


@pytest.mark.parametrize("text, says", [
    ("renew", "e.g. `/certs renew ACLS 2028-11-30`"),
    ("renew ACLS", "e.g. `/certs renew ACLS 2028-11-30`"),
    ("renew ACLS 30/11/2028", "not a date; write it as YYYY-MM-DD"),
    ("renew ACLS 2028-02-30", "not a real date"),
    ("renew AC!LS 2028-11-30", "not a certification type"),
    ("renew ACLS 2028-11-30 extra", "e.g. `/certs renew ACLS 2028-11-30`"),
])
def test_a_bad_renewal_says_what_is_wrong(text: str, says: str) -> None:
    answer = parse_certs(text)
    assert isinstance(answer, CertsUsage)
    assert says in answer.problem


def test_help_is_the_usage_without_a_problem() -> None:
    assert parse_certs("help") == CertsUsage()
    assert parse_certs("HELP me") == CertsUsage()


@pytest.mark.parametrize("text", ["ICU export now", "ICU exports", "foo bar", "<script>", "ICU!"])
def test_anything_else_is_the_usage_naming_what_was_not_understood(text: str) -> None:
    answer = parse_certs(text)
    assert isinstance(answer, CertsUsage)
    assert answer.problem.startswith("I don't understand")


@pytest.mark.parametrize("text", ["ICU export", "icu EXPORT", "  4w   export "])
def test_a_unit_followed_by_export_asks_for_the_compliance_csv(text: str) -> None:
    assert parse_certs(text) == ComplianceExport(text.split()[0].upper())
