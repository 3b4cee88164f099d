"""`clinops setup SITE.yml`: a hospital's own facilities, units, staff and supplies, loaded into
each service's database with that service's own store.

The file is checked whole before anything is written (clinops.site.file): every problem is named
by its place, and with any problem nothing is written. Each service's part is then written with
its own store (clinops.site.load): loading the same file again changes nothing, and what the
database holds that the file does not name is left as it is (setup never deletes).
docs/setup.md describes the file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clinops.site.file import Site, SiteFileError, cross_check, read_site
from clinops.site.load import Report, Tally, load_staffing, load_supplies, load_training

SERVICES = ("staffing", "supplies", "training")
__all__ = ["SERVICES", "Site", "SiteFileError", "cross_check", "main", "read_site", "run"]


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _open_store(service: str) -> tuple[Any, str]:
    """The service's store on the database its settings name (migrated first), and that name."""
    if service == "staffing":
        from services.staffing.config import StaffingSettings
        from services.staffing.store import StaffingStore, migrate

        url = StaffingSettings().database_url
        migrate(url)
        return StaffingStore.open(url), _shown(url)
    if service == "supplies":
        from services.supplies.config import SuppliesSettings
        from services.supplies.store import SuppliesStore
        from services.supplies.store import migrate as migrate_supplies

        url = SuppliesSettings().database_url
        migrate_supplies(url)
        return SuppliesStore.open(url), _shown(url)
    from services.training.config import TrainingSettings
    from services.training.store import TrainingStore
    from services.training.store import migrate as migrate_training

    url = TrainingSettings().database_url
    migrate_training(url)
    return TrainingStore.open(url), _shown(url)


def load(site: Site, service: str, store: Any, *, now: datetime) -> dict[str, Tally]:
    """Write the service's part of the site with its store; the counts per kind."""
    if service == "staffing":
        return load_staffing(site, store)
    if service == "supplies":
        return load_supplies(site, store, now=now)
    return load_training(site, store)


def run(path: Path, services: Sequence[str], *,
        now: datetime | None = None) -> tuple[bool, list[str]]:
    """Check the file, then load each service's part; (written, lines to print)."""
    try:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise SiteFileError([f"cannot read {path}: {error.strerror or error}"]) from None
        site = read_site(content, path.name)
    except SiteFileError as error:
        return False, [*error.problems, "nothing was written"]
    report = Report()
    # Staffing first: its checks against the database (ratio table, facility zones) come
    # before the other services are written.
    for service in [s for s in SERVICES if s in services]:
        store, database = _open_store(service)
        report.lines.append(f"{service} database: {database}")
        try:
            report.add(service, load(site, service, store, now=now or datetime.now(UTC)))
        except SiteFileError as error:
            return False, [*report.lines, *(f"{service}: {p}" for p in error.problems),
                           f"nothing was written to {service}"]
        finally:
            store.close()
    return True, report.lines


def main(args: argparse.Namespace, *, out: Callable[[str], None] = print) -> int:
    """Print what loading did; 0 when loaded, 1 when the file was refused."""
    ok, lines = run(args.file, args.service or SERVICES)
    for line in lines:
        out(line)
    return 0 if ok else 1
