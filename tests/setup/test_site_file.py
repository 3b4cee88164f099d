"""The site file is checked whole before anything is written: each problem is named by its
place in the file, as an IT engineer fixing it would look for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clinops import cli
from clinops.site import SiteFileError, read_site

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "site.yml"


def sample() -> dict:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def problems_of(document: dict | str) -> list[str]:
    content = document if isinstance(document, str) else yaml.safe_dump(document)
    with pytest.raises(SiteFileError) as error:
        read_site(content.encode(), "site.yml")
    return error.value.problems


def test_the_sample_site_file_is_valid() -> None:
    site = read_site(SAMPLE.read_bytes())
    assert [u.id for u in site.units] == ["ICU", "3N", "RENO-ED"]
    assert site.units[0].monthly_supply_budget == 30000


def test_an_unknown_time_zone_is_named_with_its_place() -> None:
    document = sample()
    document["facilities"][1]["time_zone"] = "America/Reno"
    assert problems_of(document) == [
        "facilities[1].time_zone: unknown IANA time zone 'America/Reno' "
        "(like America/Los_Angeles)"]


def test_an_unknown_category_lists_the_known_ones() -> None:
    document = sample()
    document["units"][2]["category"] = "ICUU"
    [problem] = problems_of(document)
    assert problem.startswith("units[2].category: unknown category 'ICUU'; known: ICU, NICU,")
    assert "MED_SURG" in problem


def test_references_to_what_the_file_does_not_hold_are_each_named() -> None:
    document = sample()
    document["units"][1]["facility"] = "NORTH"
    document["staff"][0]["home_unit"] = "5E"
    document["units"][0]["approvers"][1]["staff"] = "E7777"
    document["units"][1]["receivers"] = ["E2002", "E0000"]
    document["units"][0]["par_levels"][0]["sku"] = "IV-START"
    problems = problems_of(document)
    assert "units[1].facility: unknown facility 'NORTH'; known: RENO, SVMC" in problems
    assert "staff[0].home_unit: unknown unit '5E'; known: 3N, ICU, RENO-ED" in problems
    assert any(p.startswith("units[0].approvers[1].staff: unknown staff id 'E7777'; known: E1001")
               for p in problems)
    assert any(p.startswith("units[1].receivers[1]: unknown staff id 'E0000'") for p in problems)
    assert ("units[0].par_levels[0].sku: unknown sku 'IV-START'; known: GLOVE-NIT-M, "
            "IV-START-KIT") in problems
    assert len(problems) == 5


def test_duplicate_ids_name_both_places_and_letter_case_does_not_hide_them() -> None:
    document = sample()
    document["units"][2]["id"] = "icu"
    document["staff"][3]["id"] = "E1001"
    document["items"][1]["sku"] = "glove-nit-m"
    document["units"][0]["approvers"][1]["order"] = 1
    problems = problems_of(document)
    assert "units[2].id: 'ICU' is also units[0]" in problems
    assert "staff[3].id: 'E1001' is also staff[0]" in problems
    assert "items[1].sku: 'GLOVE-NIT-M' is also items[0]" in problems
    assert "units[0].approvers[1].order: '1' is also units[0].approvers[0]" in problems


def test_slack_ids_of_the_wrong_shape_are_refused() -> None:
    document = sample()
    document["units"][0]["slack_channel"] = "#icu"
    document["staff"][1]["slack_user"] = "sam.okoro"
    document["staff"][2]["slack_team"] = "U0SIERRA"
    problems = problems_of(document)
    assert "units[0].slack_channel: '#icu' is not a Slack channel id (like C0ICU0001)" in problems
    assert "staff[1].slack_user: 'sam.okoro' is not a Slack user id (like U0ICU001)" in problems
    assert "staff[2].slack_team: 'U0SIERRA' is not a Slack team id (like T0CLINOPS)" in problems


def test_negative_par_limit_and_budget_are_refused() -> None:
    document = sample()
    document["units"][0]["par_levels"][1]["par"] = -5
    document["units"][0]["approvers"][0]["spending_limit"] = -1
    document["units"][1]["monthly_supply_budget"] = "12.345"
    problems = problems_of(document)
    assert "units[0].par_levels[1].par: Input should be greater than or equal to 0" in problems
    assert ("units[0].approvers[0].spending_limit: Input should be greater than or equal to 0"
            in problems)
    assert any(p.startswith("units[1].monthly_supply_budget: Decimal input should have no more "
                            "than 2 decimal places") for p in problems)


def test_missing_and_unknown_fields_and_unknown_roles_and_duties_are_named() -> None:
    document = sample()
    del document["units"][0]["slack_channel"]
    document["units"][1]["wings"] = 2
    document["staff"][0]["role"] = "NP"
    document["staff"][1]["duties"] = ["CHARGE", "BOSS"]
    problems = problems_of(document)
    assert "units[0].slack_channel: is missing" in problems
    assert ("units[1].wings: is not a field of the site file (docs/setup.md lists them)"
            in problems)
    assert ("staff[0].role: unknown role 'NP'; known: RN, LVN, CNA, UNIT_CLERK, SURGICAL_TECH"
            in problems)
    assert ("staff[1].duties[1]: unknown duty 'BOSS'; known: STAFF, CHARGE, MANAGER, "
            "SUPERVISOR, TRIAGE, EDUCATOR") in problems


def test_a_file_that_is_not_yaml_says_where() -> None:
    assert problems_of("units: [\n  - id: ICU\n  name: x\n")[0].startswith(
        "site.yml is not valid YAML at line")
    assert problems_of("- just\n- a list\n") == [
        "site.yml is not a YAML mapping with facilities, units, staff and items (docs/setup.md)"]


def test_a_refused_file_writes_nothing_to_any_database(
        databases: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = sample()
    document["units"][2]["category"] = "ICUU"
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert cli.main(["setup", str(path)]) == 1
    out = capsys.readouterr().out
    assert "units[2].category: unknown category 'ICUU'" in out
    assert out.strip().endswith("nothing was written")
    from services.staffing.store import StaffingStore, migrate
    migrate(databases["staffing"])
    store = StaffingStore.open(databases["staffing"])
    try:
        assert store.list_units() == [] and store.list_staff() == []
    finally:
        store.close()
