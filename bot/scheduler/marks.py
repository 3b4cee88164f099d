"""What the scheduler itself must remember across restarts, beside its job store.

The day of the last complete certification scan (the next scan's `since`) and which digests were
claimed. The tables are the scheduler's own, created like APScheduler creates its job table.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, Engine, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from clinops.sql import create_db_engine

metadata = MetaData()
scan_days = Table(
    "clinops_scan_days", metadata,
    Column("scan", String(64), primary_key=True),
    Column("last_success", Date, nullable=False),
)
deliveries = Table(
    "clinops_deliveries", metadata,
    Column("delivery_key", String(200), primary_key=True),
    Column("claimed_at", String(40), nullable=False),
)


class Marks:
    """Scan days and delivery claims in the scheduler's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    @classmethod
    def open(cls, database_url: str) -> Marks:
        return cls(create_db_engine(database_url))

    def close(self) -> None:
        self.engine.dispose()

    def last_success(self, scan: str) -> date | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(scan_days.c.last_success)
                                     .where(scan_days.c.scan == scan))

    def record_success(self, scan: str, day: date) -> None:
        """Remember `day` as the scan's last complete day; never moves backwards."""
        with self.engine.begin() as connection:
            held = connection.scalar(select(scan_days.c.last_success)
                                     .where(scan_days.c.scan == scan))
            if held is None:
                connection.execute(insert(scan_days).values(scan=scan, last_success=day))
            elif day > held:
                connection.execute(scan_days.update().where(scan_days.c.scan == scan)
                                   .values(last_success=day))

    def claim(self, key: str, at: datetime) -> bool:
        """True for the first claim of `key`, False ever after (until released)."""
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(deliveries).values(delivery_key=key,
                                                             claimed_at=at.isoformat()))
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        """Forget a claim whose delivery failed, so the next run tries again."""
        with self.engine.begin() as connection:
            connection.execute(delete(deliveries).where(deliveries.c.delivery_key == key))
