"""Seeded demo data: an invented hospital that works on any day (see `hospital.build_hospital`)."""

from clinops.demo.hospital import DEMO_TEAM_ID, DemoHospital, build_hospital

__all__ = ["DEMO_TEAM_ID", "DemoHospital", "build_hospital"]
