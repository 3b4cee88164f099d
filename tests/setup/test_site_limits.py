"""What the site file may hold is what the services can keep: names and ids longer than their
columns are refused before anything is written; a unit's beds and opening day reach the services
that judge census and stock by them. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from clinops import cli
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.supplies.store import SuppliesStore
from tests.setup.test_site_file import sample


def setup(document: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    code = cli.main(["setup", str(path)])
    return code, capsys.readouterr().out


def test_names_over_128_characters_are_refused_by_place_and_nothing_is_written(
        databases: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = sample()
    document["units"][0]["name"] = "Intensive Care " * 14  # 210 characters
    document["staff"][1]["name"] = "N" * 201
    document["facilities"][0]["name"] = "F" * 129
    code, out = setup(document, tmp_path, capsys)
    assert code == 1
    for place in ("facilities[0].name", "units[0].name", "staff[1].name"):
        assert f"{place}: String should have at most 128 characters" in out, out
    assert out.strip().endswith("nothing was written")
    migrate_staffing(databases["staffing"])
    store = StaffingStore.open(databases["staffing"])
    try:
        assert store.list_units() == [] and store.list_staff() == []
    finally:
        store.close()


def test_a_units_beds_and_opening_day_from_the_site_file_reach_staffing_and_supplies(
        databases: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = sample()
    document["units"][0].update(beds=16, opened="2019-04-01")
    code, out = setup(document, tmp_path, capsys)
    assert code == 0, out
    staffing, supplies = (StaffingStore.open(databases["staffing"]),
                          SuppliesStore.open(databases["supplies"]))
    try:
        assert staffing.get_unit("ICU").beds == 16
        assert supplies.get_unit("ICU").opened_on == date(2019, 4, 1)
        assert staffing.get_unit("3N").beds is None
    finally:
        staffing.close()
        supplies.close()
