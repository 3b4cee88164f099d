"""PostgreSQL restarted under a running service: the next call succeeds, nobody intervenes.

The test runs a PostgreSQL cluster of its own (never the machine's shared one) and restarts it.
"""

from __future__ import annotations

from datetime import date

from clinops import rpc
from clinops.clock import system_clock
from clinops.common.v1 import common_pb2
from clinops.demo.hospital import build_hospital
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from services.staffing.seed import seed_demo
from services.staffing.server import create_server
from services.staffing.store import StaffingStore, migrate
from tests.faults.fault_fixtures import private_postgres


def test_services_answer_the_next_call_after_postgresql_restarts() -> None:
    hospital = build_hospital(date.today())
    charge_nurse = hospital.featured_users()[0]
    caller = rpc.caller_metadata(rpc.Caller(slack_team_id=charge_nurse.slack_team_id,
                                            slack_user_id=charge_nurse.slack_user_id))
    with private_postgres() as postgres:
        migrate(postgres.url)
        store = StaffingStore.open(postgres.url)
        seed_demo(store, hospital)
        server, port = create_server(store=store, clock=system_clock)
        server.start()
        channel = rpc.client_channel(f"127.0.0.1:{port}", None)
        staffing = staffing_pb2_grpc.StaffingServiceStub(channel)
        try:
            before = staffing.ListUnits(staffing_pb2.ListUnitsRequest(), timeout=5,
                                        metadata=caller)
            assert before.units

            postgres.restart()

            # The pool's connections died with the server; pre-ping replaces them on checkout.
            after = staffing.ListUnits(staffing_pb2.ListUnitsRequest(), timeout=5,
                                       metadata=caller)
            assert after == before
            census = staffing.RecordCensus(staffing_pb2.RecordCensusRequest(
                unit_id="ICU", shift=common_pb2.SHIFT_DAY,
                day=common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TODAY),
                census=staffing_pb2.Census(patients=9)), timeout=5, metadata=caller)
            assert census.shift_gaps.gaps
        finally:
            channel.close()
            server.stop(None)
            store.close()
