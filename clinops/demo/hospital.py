"""The demo hospital: an invented facility with units, staff, shifts, certifications and supplies.

Pure data, no I/O. Every date is relative to `today`, and the noise comes from `random.Random`
with fixed seeds, so `build_hospital(today)` returns the same hospital for the same day and a
believable one on any day. All names are invented; no patient is ever described (census is a
number).

Staffing on purpose (Title 22 ratios, unit grids):
- ICU today day: census 10 needs 5 licensed nurses; 4 carry patients, the charge nurse does not.
- 4W tonight: census 16 needs 4; 3 carry patients beside the charge nurse.
- 5T today day: census 14 needs 2 CNAs by the unit grid; 1 is on.
- LD tomorrow day: census 5 needs 3; 2 carry patients beside the charge nurse.
Every other shift is fully staffed.
"""

from __future__ import annotations

import calendar
import math
import random
import re
import statistics
from dataclasses import dataclass
from datetime import date, timedelta

DEMO_TEAM_ID = "T0CLINOPS"
DEMO_FACILITY_NAME = "Mission Bay Community Hospital"
DEMO_TIME_ZONE = "America/Los_Angeles"
DEMO_FACILITY_ID = "MB"
# A second facility an hour ahead, so every job and report shows its own local time.
CLINIC_FACILITY_ID = "FR"
CLINIC_FACILITY_NAME = "Front Range Medical Center"
CLINIC_TIME_ZONE = "America/Denver"


@dataclass(frozen=True)
class DemoFacility:
    facility_id: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class GridStep:
    role: str  # "CNA" or "UNIT_CLERK"
    census_from: int
    census_to: int
    count: int


@dataclass(frozen=True)
class DemoUnit:
    unit_id: str
    name: str
    category: str
    slack_channel_id: str
    time_zone: str
    patients_per_nurse_override: int | None
    unlicensed_grid: tuple[GridStep, ...]
    facility_id: str = DEMO_FACILITY_ID


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    display_name: str
    role: str
    employment_type: str
    home_unit_id: str | None
    slack_team_id: str
    slack_user_id: str
    duties: tuple[str, ...]
    oriented_categories: tuple[str, ...]


@dataclass(frozen=True)
class DemoCensus:
    """`patients` is the whole census; the ED's critical care and trauma patients are within it."""

    unit_id: str
    date: date
    shift: str
    patients: int
    critical_care_patients: int = 0
    trauma_patients: int = 0
    occupied_rooms: int = 0


@dataclass(frozen=True)
class DemoAssignment:
    staff_id: str
    unit_id: str
    date: date
    shift: str  # "DAY" 07-19, "NIGHT" 19-07 the next morning
    duty: str
    carries_patients: bool


@dataclass(frozen=True)
class DemoCertification:
    staff_id: str
    code: str
    issued_on: date
    expires_on: date


@dataclass(frozen=True)
class DemoItem:
    sku: str
    name: str
    unit_of_issue: str
    pack_size: int
    unit_cost_cents: int
    supplier: str
    lead_time_days: float
    lead_time_stddev_days: float
    critical: bool
    substitute_skus: tuple[str, ...]


@dataclass(frozen=True)
class DemoStock:
    unit_id: str
    sku: str
    par: int
    on_hand: int
    on_order: int


@dataclass(frozen=True)
class DemoConsumption:
    unit_id: str
    sku: str
    date: date
    quantity: int


@dataclass(frozen=True)
class DemoHospital:
    team_id: str
    today: date  # the facility-local date it was built for
    facilities: tuple[DemoFacility, ...]
    units: tuple[DemoUnit, ...]
    staff: tuple[DemoStaff, ...]
    census: tuple[DemoCensus, ...]
    assignments: tuple[DemoAssignment, ...]
    certifications: tuple[DemoCertification, ...]
    items: tuple[DemoItem, ...]
    stock: tuple[DemoStock, ...]
    consumption: tuple[DemoConsumption, ...]

    def staff_by_slack_user(self, slack_user_id: str) -> DemoStaff | None:
        """The staff member behind a Slack user id, if any."""
        return next((s for s in self.staff if s.slack_user_id == slack_user_id), None)

    def featured_users(self) -> tuple[DemoStaff, ...]:
        """Demo users by role, the default actor (the ICU day charge nurse) first."""
        by_name = {s.display_name: s for s in self.staff}
        return tuple(by_name[name] for name in FEATURED_NAMES if name in by_name)


# ICU charge nurse (default actor), unit manager, educator, float-pool RN,
# ICU staff RN whose ACLS has expired, CNA (can pick up 5T's open CNA shift today).
FEATURED_NAMES = (
    "Maya Castillo", "Denise Okafor", "Elaine Brennan",
    "Alicia Fernandez", "Derek Lindqvist", "Pedro Alvarez",
)


# --- Units ----------------------------------------------------------------------------------

def _grid(role: str, *steps: tuple[int, int, int]) -> tuple[GridStep, ...]:
    return tuple(GridStep(role, low, high, count) for low, high, count in steps)


# unit id, name, category, Slack channel, beds, unlicensed grid (census from-to -> count)
_UNITS = (
    ("ICU", "Intensive Care Unit", "ICU", "C0ICU0001", 12,
     _grid("UNIT_CLERK", (1, 12, 1))),
    ("4W", "4 West Medical-Surgical", "MED_SURG", "C04W00001", 24,
     _grid("CNA", (1, 10, 1), (11, 24, 2))),
    ("5T", "5 Tower Telemetry", "TELEMETRY", "C05T00001", 20,
     _grid("CNA", (1, 8, 1), (9, 20, 2))),
    ("ED", "Emergency Department", "EMERGENCY", "C0ED00001", 20,
     _grid("CNA", (1, 12, 1), (13, 20, 2)) + _grid("UNIT_CLERK", (1, 20, 1))),
    ("LD", "Labor & Delivery", "LABOR_DELIVERY", "C0LD00001", 8, ()),
    ("PEDS", "Pediatrics", "PEDIATRICS", "C0PEDS001", 14,
     _grid("CNA", (1, 14, 1))),
    # Front Range Medical Center (Denver): a small step-down unit.
    ("SDU", "Step-Down Unit", "STEP_DOWN", "C0SDU0001", 8, ()),
)
_CLINIC_UNITS = {"SDU"}
UNIT_BEDS = {unit_id: beds for unit_id, _, _, _, beds, _ in _UNITS}

# unit, day (0 today, 1 tomorrow), shift, patients, ED critical care, ED trauma
_CENSUS = (
    ("ICU", 0, "DAY", 10, 0, 0), ("ICU", 0, "NIGHT", 10, 0, 0),
    ("ICU", 1, "DAY", 9, 0, 0), ("ICU", 1, "NIGHT", 8, 0, 0),
    ("4W", 0, "DAY", 16, 0, 0), ("4W", 0, "NIGHT", 16, 0, 0),
    ("4W", 1, "DAY", 17, 0, 0), ("4W", 1, "NIGHT", 15, 0, 0),
    ("5T", 0, "DAY", 14, 0, 0), ("5T", 0, "NIGHT", 13, 0, 0),
    ("5T", 1, "DAY", 15, 0, 0), ("5T", 1, "NIGHT", 12, 0, 0),
    ("ED", 0, "DAY", 10, 2, 1), ("ED", 0, "NIGHT", 9, 1, 0),
    ("ED", 1, "DAY", 11, 2, 0), ("ED", 1, "NIGHT", 8, 1, 1),
    ("LD", 0, "DAY", 4, 0, 0), ("LD", 0, "NIGHT", 3, 0, 0),
    ("LD", 1, "DAY", 5, 0, 0), ("LD", 1, "NIGHT", 4, 0, 0),
    ("PEDS", 0, "DAY", 8, 0, 0), ("PEDS", 0, "NIGHT", 7, 0, 0),
    ("PEDS", 1, "DAY", 9, 0, 0), ("PEDS", 1, "NIGHT", 8, 0, 0),
    ("SDU", 0, "DAY", 6, 0, 0), ("SDU", 0, "NIGHT", 5, 0, 0),
    ("SDU", 1, "DAY", 6, 0, 0), ("SDU", 1, "NIGHT", 5, 0, 0),
)

# Last night's shift (still on duty until 07:00 this morning) as tonight's: the demo started
# before 07:00 shows the shift in progress with its census and staff.
_LAST_NIGHT = tuple((unit_id, -1, shift, *rest) for unit_id, day, shift, *rest in _CENSUS
                    if day == 0 and shift == "NIGHT")

# --- Staff ----------------------------------------------------------------------------------
# Groups: a unit id (home unit), or FLOAT / EDUCATION / HOUSE (no home unit).
# Oriented: unit categories; empty means the home unit's category.
# Schedule tokens: <day><shift>[@unit][/duty]; day 0 today, 1 tomorrow; shift D or N;
# duty c = charge without patients, C = charge with patients, t = triage, m = manager, e =
# educator; no duty = staff with patients. Day crews work both days, night crews both nights
# (and last night), so nobody goes from tonight's shift to tomorrow's day shift.
_STAFF = (
    # ICU: 12 beds, Title 22 1:2
    ("ICU", "Denise Okafor", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("ICU", "Maya Castillo", "RN", "UNIT_STAFF", "CHARGE", "", "0D/c 1D/c"),
    ("ICU", "Tomás Herrera", "RN", "UNIT_STAFF", "CHARGE", "", "0N/c 1N/c"),
    ("ICU", "Priya Raman", "RN", "UNIT_STAFF", "CHARGE", "ICU STEP_DOWN", "0D 1D"),
    ("ICU", "Jordan Whitfield", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("ICU", "Mei-Lin Zhou", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("ICU", "Brianna Cole", "RN", "AGENCY", "", "", "0D 1D"),
    ("ICU", "Samuel Adeyemi", "RN", "UNIT_STAFF", "CHARGE", "", "0N 1N"),
    ("ICU", "Hannah Kowalski", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("ICU", "Luis Navarro", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("ICU", "Aisha Rahman", "RN", "UNIT_STAFF", "", "", "0N"),
    ("ICU", "Derek Lindqvist", "RN", "UNIT_STAFF", "", "", ""),
    ("ICU", "Rajesh Iyer", "RN", "PER_DIEM", "", "", ""),
    ("ICU", "Rosa Delgado", "UNIT_CLERK", "UNIT_STAFF", "", "", "0D 1D"),
    ("ICU", "Marcus Bell", "UNIT_CLERK", "UNIT_STAFF", "", "", "0N 1N"),
    # 4W: 24 beds, medical-surgical 1:5
    ("4W", "Patricia Nguyen", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("4W", "Gloria Mendoza", "RN", "UNIT_STAFF", "CHARGE", "", "0D/c 1D/c"),
    ("4W", "Andre Baptiste", "RN", "UNIT_STAFF", "CHARGE", "", "0N/c 1N/c"),
    ("4W", "Emily Sorensen", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("4W", "Kofi Mensah", "RN", "UNIT_STAFF", "", "MED_SURG TELEMETRY", "0D 1D"),
    ("4W", "Lorena Quintero", "LVN", "UNIT_STAFF", "", "", "0D 1D"),
    ("4W", "Teresa Villanueva", "LVN", "UNIT_STAFF", "", "", "0D 1D"),
    ("4W", "Nathan Brooks", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("4W", "Imelda Santos", "LVN", "UNIT_STAFF", "", "", "0N 1N"),
    ("4W", "Colleen Murphy", "RN", "PER_DIEM", "", "", ""),
    ("4W", "Darnell Hayes", "CNA", "UNIT_STAFF", "", "", "0D 1D"),
    ("4W", "Vanessa Cruz", "CNA", "UNIT_STAFF", "", "", "0D 1D"),
    ("4W", "Ruth Abebe", "CNA", "UNIT_STAFF", "", "", "0N 1N"),
    ("4W", "Jasmine Lee", "CNA", "UNIT_STAFF", "", "", "0N 1N"),
    ("4W", "Olivia Park", "UNIT_CLERK", "UNIT_STAFF", "", "", "0D 1D"),
    # 5T: 20 beds, telemetry 1:4
    ("5T", "Karen Fitzgerald", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("5T", "Rachel Goldberg", "RN", "UNIT_STAFF", "CHARGE", "", "0D/c 1D/c"),
    ("5T", "Ifeoma Eze", "RN", "UNIT_STAFF", "CHARGE", "", "0N/C 1N/C"),
    ("5T", "Daniel Kim", "RN", "UNIT_STAFF", "", "TELEMETRY STEP_DOWN", "0D 1D"),
    ("5T", "Sofia Marchetti", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("5T", "Angela Reyes", "LVN", "UNIT_STAFF", "", "", "0D 1D"),
    ("5T", "Benjamin Hart", "RN", "UNIT_STAFF", "", "", "0D"),
    ("5T", "Farah Siddiqui", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("5T", "Rogelio Ortiz", "LVN", "UNIT_STAFF", "", "", "0N 1N"),
    ("5T", "Tanisha Moore", "CNA", "UNIT_STAFF", "", "", "0D 1D"),
    ("5T", "Pedro Alvarez", "CNA", "UNIT_STAFF", "", "", "1D"),
    ("5T", "Linh Pham", "CNA", "UNIT_STAFF", "", "", "0N 1N"),
    ("5T", "Grace Mwangi", "CNA", "UNIT_STAFF", "", "", "0N 1N"),
    ("5T", "Diane Foster", "UNIT_CLERK", "UNIT_STAFF", "", "", "0D 1D"),
    # ED: 20 bays, 1:4, critical care 1:2, trauma 1:1, triage not counted
    ("ED", "Robert Castellanos", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("ED", "Kimberly Tanaka", "RN", "UNIT_STAFF", "CHARGE", "", "0D/c 1D/c"),
    ("ED", "Omar Haddad", "RN", "UNIT_STAFF", "CHARGE", "", "0N/c 1N/c"),
    ("ED", "Lauren Mitchell", "RN", "UNIT_STAFF", "", "", "0D/t 1D/t"),
    ("ED", "Victor Morales", "RN", "UNIT_STAFF", "", "", "0N/t 1N/t"),
    ("ED", "Chloe Bennett", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("ED", "Jamal Washington", "RN", "UNIT_STAFF", "CHARGE", "", "0D 1D"),
    ("ED", "Esperanza Ruiz", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("ED", "Ethan Novak", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("ED", "Nadia Petrovic", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("ED", "Carlos Medina", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("ED", "Javier Soto", "RN", "PER_DIEM", "", "", "1N"),
    ("ED", "Brandon Scott", "CNA", "UNIT_STAFF", "", "", "0D 1D"),
    ("ED", "Maria Elena Torres", "CNA", "UNIT_STAFF", "", "", "0N 1N"),
    ("ED", "Yesenia Flores", "UNIT_CLERK", "UNIT_STAFF", "", "", "0D 1D"),
    ("ED", "Trevor Grant", "UNIT_CLERK", "UNIT_STAFF", "", "", "0N 1N"),
    # LD: 8 labor rooms, active labor 1:2
    ("LD", "Catherine O'Brien", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("LD", "Leticia Vargas", "RN", "UNIT_STAFF", "CHARGE", "", "0D/c 1D/c"),
    ("LD", "Amara Okonkwo", "RN", "UNIT_STAFF", "CHARGE", "", "0N/C 1N/C"),
    ("LD", "Sarah Whitman", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("LD", "Mariana Silva", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("LD", "Jessica Huang", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("LD", "Andrew Patel", "SURGICAL_TECH", "UNIT_STAFF", "", "", "0D 1D"),
    # PEDS: 14 beds, 1:4; a small unit, the charge nurse carries patients
    ("PEDS", "Monica Alvarado", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("PEDS", "Rebecca Stein", "RN", "UNIT_STAFF", "CHARGE", "", "0D/C 1D/C"),
    ("PEDS", "Tyrone Jackson", "RN", "UNIT_STAFF", "CHARGE", "", "0N/C 1N/C"),
    ("PEDS", "Kalani Akana", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("PEDS", "Sunita Sharma", "RN", "UNIT_STAFF", "", "", "0N 1N"),
    ("PEDS", "Isabel Ramos", "CNA", "UNIT_STAFF", "", "", "0D 1D"),
    ("PEDS", "Kevin Doan", "CNA", "UNIT_STAFF", "", "", "0N 1N"),
    # Float pool: RNs oriented to two or three unit categories
    ("FLOAT", "Alicia Fernandez", "RN", "FLOAT_POOL", "", "ICU STEP_DOWN TELEMETRY", "1D@5T"),
    ("FLOAT", "Julian Ashford", "RN", "FLOAT_POOL", "", "ICU TELEMETRY", "1D@ICU"),
    ("FLOAT", "Noor Hassan", "RN", "FLOAT_POOL", "", "ICU EMERGENCY STEP_DOWN",
     "0N@ICU 1N@ICU"),
    ("FLOAT", "Beatriz Correia", "RN", "FLOAT_POOL", "", "MED_SURG TELEMETRY", "0N@4W 1N@4W"),
    ("FLOAT", "Connor Walsh", "RN", "FLOAT_POOL", "", "EMERGENCY MED_SURG", "0D@ED 1D@ED"),
    ("FLOAT", "Hye-jin Choi", "RN", "FLOAT_POOL", "", "PEDIATRICS MED_SURG", "1D@PEDS"),
    ("FLOAT", "Adriana Molina", "RN", "FLOAT_POOL", "",
     "LABOR_DELIVERY ANTEPARTUM POSTPARTUM_COUPLETS", ""),
    ("FLOAT", "Desmond Clarke", "RN", "FLOAT_POOL", "", "TELEMETRY MED_SURG STEP_DOWN", "0N@5T"),
    # Clinical education and the house supervisor: house-wide, no home unit
    ("EDUCATION", "Elaine Brennan", "RN", "UNIT_STAFF", "EDUCATOR",
     "ICU STEP_DOWN TELEMETRY MED_SURG", "1D@4W/e"),
    ("EDUCATION", "Yolanda Pierce", "RN", "UNIT_STAFF", "EDUCATOR",
     "LABOR_DELIVERY PEDIATRICS POSTPARTUM_COUPLETS", ""),
    ("HOUSE", "Harold Jimenez", "RN", "UNIT_STAFF", "SUPERVISOR", "ICU MED_SURG EMERGENCY", ""),
    # SDU at the Front Range Medical Center (Denver): 8 beds, step-down 1:3; charge nurses
    # carry patients
    ("SDU", "Wyatt Ramsey", "RN", "UNIT_STAFF", "MANAGER", "", "0D/m 1D/m"),
    ("SDU", "Hope Yazzie", "RN", "UNIT_STAFF", "CHARGE", "", "0D/C 1D/C"),
    ("SDU", "Dale Kowalczyk", "RN", "UNIT_STAFF", "CHARGE", "", "0N/C 1N/C"),
    ("SDU", "Lena Ortega", "RN", "UNIT_STAFF", "", "", "0D 1D"),
    ("SDU", "Carmen Lujan", "RN", "UNIT_STAFF", "", "", "0N 1N"),
)
_GROUP_TAGS = {"FLOAT": "FLT", "EDUCATION": "EDU", "HOUSE": "SUP"}
_DUTY_CODES = {  # schedule code -> (assignment duty, carries patients)
    "c": ("CHARGE", False), "C": ("CHARGE", True), "t": ("TRIAGE", False),
    "m": ("MANAGER", False), "e": ("EDUCATOR", False),
}
_TOKEN = re.compile(r"([01])([DN])(?:@(\w+))?(?:/([cCtme]))?$")

# --- Certifications -------------------------------------------------------------------------
VALIDITY_YEARS = {
    "BLS": 2, "ACLS": 2, "PALS": 2, "NRP": 2, "TNCC": 4, "CCRN": 3, "RN-CA": 2, "LVN-CA": 2,
}
_CCRN_HOLDERS = {"Maya Castillo", "Priya Raman", "Samuel Adeyemi", "Denise Okafor",
                 "Elaine Brennan", "Noor Hassan"}
# Months from this month to the expiry month: 0 = last day of this month (within 30 days),
# negative = already expired. Everyone else is current, at a random point of the cycle.
_CERT_EXCEPTIONS = {
    ("Derek Lindqvist", "ACLS"): -1, ("Tanisha Moore", "BLS"): -2,
    ("Ethan Novak", "TNCC"): -3, ("Sunita Sharma", "PALS"): -1,
    ("Maya Castillo", "CCRN"): 0, ("Emily Sorensen", "BLS"): 0, ("Chloe Bennett", "ACLS"): 0,
    ("Beatriz Correia", "RN-CA"): 0, ("Leticia Vargas", "NRP"): 0, ("Darnell Hayes", "BLS"): 0,
    ("Samuel Adeyemi", "ACLS"): 1, ("Rachel Goldberg", "BLS"): 1,
    ("Lena Ortega", "BLS"): 0,
}

# --- Supplies -------------------------------------------------------------------------------
# sku, name, unit of issue, pack size, cost per unit of issue (cents), supplier,
# lead time days (mean, stddev), critical, substitutes
_ITEMS = (
    ("FLUSH-NS-10", "Saline flush syringe 10 mL", "each", 30, 38, "Medline", 3, 0.8, True, ()),
    ("IV-START-KIT", "IV start kit", "each", 50, 245, "Cardinal Health", 3, 1.0, False, ()),
    ("IVCATH-18G", "IV catheter 18G x 1.16 in, safety", "each", 50, 210, "Cardinal Health",
     4, 1.2, True, ("IVCATH-20G",)),
    ("IVCATH-20G", "IV catheter 20G x 1 in, safety", "each", 50, 195, "Cardinal Health",
     4, 1.2, True, ("IVCATH-22G", "IVCATH-18G")),
    ("IVCATH-22G", "IV catheter 22G x 1 in, safety", "each", 50, 195, "Cardinal Health",
     4, 1.2, True, ("IVCATH-20G", "IVCATH-24G")),
    ("IVCATH-24G", "IV catheter 24G x 0.75 in, safety", "each", 50, 205, "Cardinal Health",
     4, 1.2, True, ("IVCATH-22G",)),
    ("IV-SET-PRIMARY", "IV pump primary administration set", "each", 20, 640, "Owens & Minor",
     5, 1.5, True, ()),
    ("IV-SET-SECONDARY", "IV secondary (piggyback) set", "each", 50, 180, "Owens & Minor",
     5, 1.5, False, ()),
    ("NS-1000", "Sodium chloride 0.9% 1000 mL bag", "bag", 12, 215, "McKesson",
     6, 2.0, True, ("LR-1000",)),
    ("LR-1000", "Lactated Ringer's 1000 mL bag", "bag", 12, 240, "McKesson",
     6, 2.0, True, ("NS-1000",)),
    ("ECG-ELECTRODE", "ECG electrodes, adult foam, pouch of 5", "pouch", 60, 95, "Medline",
     3, 0.7, True, ()),
    ("GLOVE-NIT-S", "Nitrile exam gloves, small, box of 100", "box", 10, 740, "Medline",
     3, 0.7, True, ()),
    ("GLOVE-NIT-M", "Nitrile exam gloves, medium, box of 100", "box", 10, 740, "Medline",
     3, 0.7, True, ()),
    ("GLOVE-NIT-L", "Nitrile exam gloves, large, box of 100", "box", 10, 740, "Medline",
     3, 0.7, True, ()),
    ("CHG-CLOTH", "Chlorhexidine 2% bathing cloths, pack of 6", "pack", 24, 725, "Medline",
     4, 1.0, True, ()),
    ("ALCOHOL-PREP", "Isopropyl alcohol prep pads, box of 200", "box", 20, 420, "McKesson",
     2, 0.5, False, ()),
    ("GAUZE-4X4", "Sterile gauze sponge 4 x 4 in, 2-pack", "each", 50, 18, "McKesson",
     2, 0.5, False, ()),
    ("IV-DRESSING", "Transparent IV site dressing 2.4 x 2.75 in", "each", 100, 62, "Medline",
     3, 0.8, False, ()),
    ("SUCTION-CANISTER", "Suction canister 1200 mL with lid", "each", 48, 310, "Medline",
     4, 1.0, True, ()),
    ("YANKAUER", "Yankauer suction tip with 6 ft tubing", "each", 50, 155, "Medline",
     4, 1.0, True, ()),
    ("FOLEY-TRAY-16", "Foley catheter tray 16 Fr, closed system", "each", 10, 1475,
     "Cardinal Health", 5, 1.5, False, ()),
    ("UNDERPAD", "Disposable underpad 23 x 36 in", "each", 150, 32, "Medline", 3, 0.5, False, ()),
    ("BRIEF-L", "Adult incontinence brief, large", "each", 72, 68, "Medline", 3, 0.5, False, ()),
    ("ORAL-CARE-KIT", "Oral care kit, ventilated patient (q4h)", "each", 30, 690,
     "Owens & Minor", 5, 1.5, False, ()),
    ("SPO2-ADULT", "Pulse oximetry sensor, adult, single-patient", "each", 24, 1150,
     "Owens & Minor", 5, 1.5, True, ()),
    ("SPO2-PEDS", "Pulse oximetry sensor, pediatric, single-patient", "each", 24, 1225,
     "Owens & Minor", 7, 2.0, True, ()),
    ("SCD-SLEEVE-M", "Compression sleeves, knee length, medium (pair)", "pair", 10, 2890,
     "Owens & Minor", 7, 2.0, False, ()),
    ("ISOLATION-GOWN", "Isolation gown, AAMI level 2, universal", "each", 50, 115, "Medline",
     4, 1.2, False, ()),
    ("NASAL-CANNULA", "Nasal cannula, adult, 7 ft tubing", "each", 50, 95, "McKesson",
     3, 0.8, False, ()),
    ("FETAL-MON-BELT", "Fetal monitor transducer belt", "each", 50, 185, "Cardinal Health",
     6, 1.5, False, ()),
)

# Mean daily use per unit, in units of issue.
_DAILY_USE = {
    "ICU": {"FLUSH-NS-10": 60, "IV-START-KIT": 3, "IVCATH-18G": 1.5, "IVCATH-20G": 3,
            "IVCATH-22G": 2, "IV-SET-PRIMARY": 6, "IV-SET-SECONDARY": 8, "NS-1000": 10,
            "LR-1000": 3, "ECG-ELECTRODE": 4, "GLOVE-NIT-S": 3, "GLOVE-NIT-M": 6,
            "GLOVE-NIT-L": 3, "CHG-CLOTH": 10, "ALCOHOL-PREP": 1.5, "GAUZE-4X4": 30,
            "IV-DRESSING": 6, "SUCTION-CANISTER": 6, "YANKAUER": 5, "FOLEY-TRAY-16": 0.6,
            "UNDERPAD": 20, "ORAL-CARE-KIT": 30, "SPO2-ADULT": 3, "SCD-SLEEVE-M": 2,
            "ISOLATION-GOWN": 40, "NASAL-CANNULA": 2},
    "4W": {"FLUSH-NS-10": 70, "IV-START-KIT": 6, "IVCATH-18G": 1, "IVCATH-20G": 5,
           "IVCATH-22G": 4, "IV-SET-PRIMARY": 5, "IV-SET-SECONDARY": 10, "NS-1000": 6,
           "GLOVE-NIT-S": 3, "GLOVE-NIT-M": 7, "GLOVE-NIT-L": 4, "ALCOHOL-PREP": 1.2,
           "GAUZE-4X4": 25, "IV-DRESSING": 8, "FOLEY-TRAY-16": 1, "UNDERPAD": 30, "BRIEF-L": 18,
           "SCD-SLEEVE-M": 3, "ISOLATION-GOWN": 35, "NASAL-CANNULA": 3},
    "5T": {"FLUSH-NS-10": 55, "IV-START-KIT": 5, "IVCATH-20G": 4, "IVCATH-22G": 3,
           "IV-SET-PRIMARY": 4, "IV-SET-SECONDARY": 8, "NS-1000": 4, "ECG-ELECTRODE": 14,
           "GLOVE-NIT-M": 5, "GLOVE-NIT-L": 3, "ALCOHOL-PREP": 1, "IV-DRESSING": 6,
           "UNDERPAD": 20, "BRIEF-L": 10, "SPO2-ADULT": 1.5, "ISOLATION-GOWN": 20,
           "NASAL-CANNULA": 3},
    "ED": {"FLUSH-NS-10": 90, "IV-START-KIT": 25, "IVCATH-18G": 8, "IVCATH-20G": 14,
           "IVCATH-22G": 8, "IVCATH-24G": 2, "IV-SET-PRIMARY": 12, "NS-1000": 25, "LR-1000": 6,
           "ECG-ELECTRODE": 20, "GLOVE-NIT-S": 6, "GLOVE-NIT-M": 14, "GLOVE-NIT-L": 8,
           "ALCOHOL-PREP": 2, "GAUZE-4X4": 40, "IV-DRESSING": 25, "SUCTION-CANISTER": 2,
           "YANKAUER": 3, "FOLEY-TRAY-16": 2, "SPO2-ADULT": 4, "SPO2-PEDS": 1,
           "ISOLATION-GOWN": 45, "NASAL-CANNULA": 6},
    "LD": {"FLUSH-NS-10": 15, "IV-START-KIT": 4, "IVCATH-18G": 3, "IVCATH-20G": 1.5,
           "IV-SET-PRIMARY": 4, "NS-1000": 2, "LR-1000": 8, "GLOVE-NIT-S": 2, "GLOVE-NIT-M": 3,
           "UNDERPAD": 25, "FETAL-MON-BELT": 6, "SUCTION-CANISTER": 1, "YANKAUER": 1.5,
           "FOLEY-TRAY-16": 2, "SCD-SLEEVE-M": 0.5},
    "PEDS": {"FLUSH-NS-10": 25, "IV-START-KIT": 2, "IVCATH-22G": 1.5, "IVCATH-24G": 2,
             "IV-SET-PRIMARY": 3, "GLOVE-NIT-S": 3, "GLOVE-NIT-M": 2, "SPO2-PEDS": 2,
             "IV-DRESSING": 3, "GAUZE-4X4": 8, "UNDERPAD": 10, "ISOLATION-GOWN": 25},
}
# The clinic's use: drawn from a random stream of its own, so the hospital's stays as it was.
_CLINIC_DAILY_USE = {
    "SDU": {"FLUSH-NS-10": 20, "IV-START-KIT": 2, "IVCATH-20G": 2, "ECG-ELECTRODE": 6,
            "GLOVE-NIT-M": 3, "GAUZE-4X4": 8, "UNDERPAD": 10, "ISOLATION-GOWN": 8},
}
# Rows a manager should see flagged today: "low" is under the reorder point with nothing on
# order; "ordered" is just as low but already covered by an open order.
_LOW_STOCK = {("ICU", "CHG-CLOTH"): "low", ("5T", "ECG-ELECTRODE"): "low",
              ("4W", "GLOVE-NIT-M"): "low", ("ED", "IVCATH-20G"): "low",
              ("ICU", "SUCTION-CANISTER"): "ordered", ("ED", "NS-1000"): "ordered"}
# Monday .. Sunday: admissions and procedures drop at weekends; the ED does not.
_WEEKDAY_FACTOR = (1.08, 1.03, 1.0, 1.0, 1.02, 0.86, 0.82)
_ED_WEEKDAY_FACTOR = (1.12, 1.02, 0.98, 0.97, 1.0, 1.0, 1.04)
# The weekly pattern is laid out as if today were a Thursday, whatever day the demo starts, so
# its figures (reorder points, pars, proposals) are the same on every day it runs.
_PATTERN_TODAY = 3
CONSUMPTION_DAYS = 90
SERVICE_LEVEL_Z = 1.645  # 95 %, as in DESIGN.md
_REVIEW_DAYS = 4  # par covers the lead time plus a few days between counts


def build_hospital(today: date) -> DemoHospital:
    """The demo hospital as it stands on `today` (facility-local date)."""
    units = tuple(
        DemoUnit(unit_id, name, category, channel, CLINIC_TIME_ZONE, None, grid,
                 CLINIC_FACILITY_ID) if unit_id in _CLINIC_UNITS else
        DemoUnit(unit_id, name, category, channel, DEMO_TIME_ZONE, None, grid)
        for unit_id, name, category, channel, _, grid in _UNITS
    )
    census = tuple(
        DemoCensus(unit_id, today + timedelta(days=day), shift, patients, critical, trauma)
        for unit_id, day, shift, patients, critical, trauma in _CENSUS + _LAST_NIGHT
    )
    staff, assignments = _build_staff(today, {u.unit_id: u.category for u in units})
    items = tuple(DemoItem(*row) for row in _ITEMS)
    consumption = _build_consumption(today)
    return DemoHospital(
        team_id=DEMO_TEAM_ID,
        today=today,
        facilities=(DemoFacility(DEMO_FACILITY_ID, DEMO_FACILITY_NAME, DEMO_TIME_ZONE),
                    DemoFacility(CLINIC_FACILITY_ID, CLINIC_FACILITY_NAME, CLINIC_TIME_ZONE)),
        units=units,
        staff=staff,
        census=census,
        assignments=assignments,
        certifications=_build_certifications(today, staff),
        items=items,
        stock=_build_stock(items, consumption),
        consumption=consumption,
    )


def _build_staff(
    today: date, categories: dict[str, str]
) -> tuple[tuple[DemoStaff, ...], tuple[DemoAssignment, ...]]:
    staff, assignments, per_tag = [], [], {}
    for number, (group, name, role, employment, duty, oriented, schedule) in enumerate(
        _STAFF, start=1001
    ):
        home = None if group in _GROUP_TAGS else group
        tag = _GROUP_TAGS.get(group, group)
        per_tag[tag] = per_tag.get(tag, 0) + 1
        person = DemoStaff(
            staff_id=f"S{number}",
            display_name=name,
            role=role,
            employment_type=employment,
            home_unit_id=home,
            slack_team_id=DEMO_TEAM_ID,
            slack_user_id=f"U0{tag}{per_tag[tag]:0{6 - len(tag)}d}",
            duties=(duty,) if duty else (),
            oriented_categories=tuple(oriented.split()) or (categories[home],),
        )
        staff.append(person)
        assignments.extend(_assignments(person, schedule, today))
    return tuple(staff), tuple(assignments)


def _assignments(person: DemoStaff, schedule: str, today: date) -> list[DemoAssignment]:
    shifts = []
    for token in schedule.split():
        day, shift, unit_id, code = _TOKEN.match(token).groups()
        # Tonight's crew also worked last night (on duty until 07:00 this morning).
        days = (-1, 0) if (day, shift) == ("0", "N") else (int(day),)
        for on in (today + timedelta(days=d) for d in days):
            duty, carries = _DUTY_CODES.get(code, ("STAFF", person.role != "UNIT_CLERK"))
            shifts.append(DemoAssignment(
                person.staff_id, unit_id or person.home_unit_id, on,
                "DAY" if shift == "D" else "NIGHT", duty, carries,
            ))
    return shifts


def _required_codes(person: DemoStaff) -> list[str]:
    """What this person holds: DESIGN.md's requirements, plus what their units expect."""
    cats = set(person.oriented_categories)
    if person.role == "LVN":
        return ["BLS", "LVN-CA"]
    if person.role in ("CNA", "SURGICAL_TECH"):
        return ["BLS"]
    if person.role != "RN":
        return []
    codes = ["BLS", "RN-CA"]
    codes += ["ACLS"] if cats & {"ICU", "EMERGENCY", "STEP_DOWN", "TELEMETRY"} else []
    codes += ["PALS"] if cats & {"PEDIATRICS", "EMERGENCY"} else []
    codes += ["NRP"] if cats & {"LABOR_DELIVERY", "WELL_BABY_NURSERY", "NICU"} else []
    codes += ["TNCC"] if "EMERGENCY" in cats else []
    codes += ["CCRN"] if person.display_name in _CCRN_HOLDERS else []
    return codes


def _build_certifications(
    today: date, staff: tuple[DemoStaff, ...]
) -> tuple[DemoCertification, ...]:
    rng = random.Random(7022)
    certifications = []
    for person in staff:
        for code in _required_codes(person):
            months = VALIDITY_YEARS[code] * 12
            ahead = _CERT_EXCEPTIONS.get((person.display_name, code))
            if ahead is None:
                ahead = rng.randint(2, months - 1)
            year, month = _add_months(today.year, today.month, ahead)
            issue_year, issue_month = _add_months(year, month, -months)
            certifications.append(DemoCertification(
                person.staff_id, code,
                issued_on=date(issue_year, issue_month, rng.randint(1, 28)),
                expires_on=date(year, month, calendar.monthrange(year, month)[1]),
            ))
    return tuple(certifications)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _build_consumption(today: date) -> tuple[DemoConsumption, ...]:
    return (_consumption(today, _DAILY_USE, random.Random(9001))
            + _consumption(today, _CLINIC_DAILY_USE, random.Random(9002)))


def _consumption(today: date, daily_use: dict[str, dict[str, float]],
                 rng: random.Random) -> tuple[DemoConsumption, ...]:
    rows = []
    for offset in range(CONSUMPTION_DAYS, 0, -1):
        day = today - timedelta(days=offset)
        for unit_id, uses in daily_use.items():
            factors = _ED_WEEKDAY_FACTOR if unit_id == "ED" else _WEEKDAY_FACTOR
            weekday = (_PATTERN_TODAY - offset) % 7
            busy = factors[weekday] * rng.uniform(0.88, 1.12)  # census swings
            for sku, mean in uses.items():
                rows.append(DemoConsumption(unit_id, sku, day, _poisson(rng, mean * busy)))
    return tuple(rows)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def reorder_point(daily: list[int], lead_days: float, lead_stddev_days: float) -> float:
    """ROP = d·L + z·σ, σ = √(L·σ_d² + d²·σ_L²) (DESIGN.md, variable lead time)."""
    mean, spread = statistics.fmean(daily), statistics.pstdev(daily)
    sigma = math.sqrt(lead_days * spread**2 + mean**2 * lead_stddev_days**2)
    return mean * lead_days + SERVICE_LEVEL_Z * sigma


def _build_stock(
    items: tuple[DemoItem, ...], consumption: tuple[DemoConsumption, ...]
) -> tuple[DemoStock, ...]:
    rng = random.Random(4242)
    by_sku = {item.sku: item for item in items}
    history: dict[tuple[str, str], list[int]] = {}
    for row in consumption:
        history.setdefault((row.unit_id, row.sku), []).append(row.quantity)
    stock = []
    for (unit_id, sku), daily in history.items():
        item = by_sku[sku]
        rop = reorder_point(daily, item.lead_time_days, item.lead_time_stddev_days)
        mean = statistics.fmean(daily)
        par = math.ceil(rop + mean * _REVIEW_DAYS)
        flag = _LOW_STOCK.get((unit_id, sku))
        if flag is None:
            on_hand, on_order = rng.randint(math.floor(rop) + 1 + round(mean), par), 0
        else:
            on_hand = math.floor(mean * item.lead_time_days * rng.uniform(0.3, 0.6))
            packs = math.ceil((par - on_hand) / item.pack_size) if flag == "ordered" else 0
            on_order = packs * item.pack_size
        stock.append(DemoStock(unit_id, sku, par, on_hand, on_order))
    return tuple(stock)
