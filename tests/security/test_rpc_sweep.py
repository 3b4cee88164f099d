"""Every RPC of every service's proto, knocked on by no caller, a caller from another Slack team
and a plain nurse of another unit: each is refused unless the service's authorisation table
lets that caller in, and then the answer names no one else (issue 15 §2).

The RPCs come from the generated descriptors, never a hand list: an RPC added to a proto
without a rule fails here (and the service refuses to start, clinops.authz.check_table)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import ServiceDescriptor

from clinops import authz
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2
from services.staffing import authz as staffing_authz
from services.supplies import authz as supplies_authz
from services.training import authz as training_authz
from tests.security.conftest import (
    FOREIGN_TEAM,
    SERVICES,
    Ward,
    as_person,
    as_scheduler,
    request_of,
)

REFUSED = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}
TARGET_UNIT = "ICU"


def tables(ward: Ward) -> dict[str, Mapping[str, authz.Rule]]:
    """Each service's own table, as its server enforces it."""
    return {
        "staffing": staffing_authz.table(staffing_authz.StaffDirectory(ward.stores["staffing"])),
        "supplies": supplies_authz.table(supplies_authz.SuppliesDirectory(ward.stores["supplies"])),
        "training": training_authz.table(training_authz.TrainingDirectory(ward.stores["training"])),
    }


@dataclass(frozen=True)
class Knock:
    """One caller at the door: who, the metadata they send, and which rules let them in."""

    name: str
    metadata: tuple
    # The caller's own name and Slack id: her own answers may carry them.
    mine: frozenset[str] = frozenset()

    def entitled(self, rule: authz.Rule) -> bool:
        # A plain nurse of another unit is a member of the facility: rules for every member
        # (claiming an open shift, submitting her own renewal) let her in; no unit rule does,
        # for the requests below all name ICU and ICU's people and things.
        return rule.anyone or (bool(self.mine) and "member" in rule.relations)


def objects_of_icu(ward: Ward) -> dict[str, str]:
    """Real ICU things for requests to name: an open shift, a proposal, a renewal, a person."""
    maya, derek = ward.person("Maya Castillo"), ward.person("Derek Lindqvist")
    denise = ward.person("Denise Okafor")
    shift = ward.call("staffing", "ReportGap", staffing_pb2.ReportGapRequest(
        unit_id=TARGET_UNIT, role=staffing_pb2.STAFF_ROLE_RN, slots=1, reason="call-out",
        day=common_pb2.DaySpec(date=common_pb2.Date(year=2026, month=11, day=27)),
        shift=common_pb2.SHIFT_NIGHT), metadata=as_person(maya)).open_shift
    renewal = ward.call("training", "SubmitRenewal", training_pb2.SubmitRenewalRequest(
        certification_code="ACLS", expires_on=common_pb2.Date(year=2028, month=11, day=30),
        evidence_reference="AHA eCard"), metadata=as_person(derek)).renewal
    proposals = ward.call("supplies", "ScanReorders", supplies_pb2.ScanReordersRequest(
        unit_id=TARGET_UNIT), metadata=as_scheduler()).proposals
    assert proposals, "the demo's ICU stock opens a reorder proposal"
    proposal = proposals[0].proposal_id
    try:
        order = ward.call("supplies", "DecideProposal", supplies_pb2.DecideProposalRequest(
            proposal_id=proposal, decision=supplies_pb2.DECISION_APPROVE),
            metadata=as_person(denise)).proposal.purchase_order_id
    except grpc.RpcError:
        # On PostgreSQL the answer cannot be written today (NUMERIC money reaches the proto
        # as Decimal: issue 15's supplies work); the approval and its order are stored.
        supplies = ward.stores["supplies"]
        order = supplies.get_proposal(int(proposal.removeprefix("RP-"))).purchase_order_id
    return {"unit_id": TARGET_UNIT, "staff_id": derek.staff_id,
            "slack_team_id": derek.slack_team_id, "slack_user_id": derek.slack_user_id,
            "open_shift_id": shift.open_shift_id, "proposal_id": proposal,
            "renewal_id": renewal.renewal_id, "purchase_order_id": order,
            "certification_code": "ACLS"}


def aimed_at_icu(request: Any, objects: Mapping[str, str]) -> Any:
    """The request with every field that names a unit, person or thing set to ICU's."""
    for field in request.DESCRIPTOR.fields:
        if field.name in objects and isinstance(getattr(request, field.name), str):
            setattr(request, field.name, objects[field.name])
        elif field.name == "unit_ids":
            request.unit_ids.append(TARGET_UNIT)
    return request


def sweep(ward: Ward, services: Mapping[str, ServiceDescriptor],
          rules: Mapping[str, Mapping[str, authz.Rule]], knocks: list[Knock],
          objects: Mapping[str, str]) -> list[str]:
    """What went wrong, walking every RPC of `services` with every knock."""
    problems: list[str] = []
    strangers = {s.display_name for s in ward.hospital.staff} | {
        s.slack_user_id for s in ward.hospital.staff}
    for service_name, service in services.items():
        for method in service.methods:
            rule = rules[service_name].get(method.name)
            if rule is None:
                problems.append(f"{service_name}.{method.name}: no authorisation rule")
                continue
            for knock in knocks:
                request = aimed_at_icu(request_of(service_name, method.name), objects)
                where = f"{service_name}.{method.name} by {knock.name}"
                try:
                    answer = ward.call(service_name, method.name, request,
                                       metadata=knock.metadata)
                except grpc.RpcError as error:
                    if not knock.entitled(rule) and error.code() not in REFUSED:
                        problems.append(f"{where}: {error.code().name}, not refused")
                    continue
                if not knock.entitled(rule):
                    problems.append(f"{where}: answered, should be refused")
                    continue
                seen = str(answer)
                leaked = sorted(name for name in strangers - knock.mine if name in seen)
                if leaked:
                    problems.append(f"{where}: names {', '.join(leaked[:3])}")
    return problems


def knocks(ward: Ward) -> list[Knock]:
    emily = ward.person("Emily Sorensen")  # a staff RN of 4 West, no duties
    return [
        Knock("no caller", ()),
        Knock("a foreign team", as_person(emily, team=FOREIGN_TEAM)),
        Knock("a 4W staff nurse", as_person(emily),
              mine=frozenset({emily.display_name, emily.slack_user_id})),
    ]


def test_every_rpc_of_every_service_refuses_strangers_and_other_units_nurses(ward: Ward) -> None:
    objects = objects_of_icu(ward)
    problems = sweep(ward, SERVICES, tables(ward), knocks(ward), objects)
    assert problems == []


def _with_extra_method(service: ServiceDescriptor, name: str) -> ServiceDescriptor:
    """`service` as if its proto had gained RPC `name` (same request and response types)."""
    file_proto = descriptor_pb2.FileDescriptorProto()
    service.file.CopyToProto(file_proto)
    [service_proto] = [s for s in file_proto.service if s.name == service.name]
    copied = service_proto.method.add()
    copied.CopyFrom(service_proto.method[0])
    copied.name = name
    pool = descriptor_pool.DescriptorPool()
    for dependency in service.file.dependencies:
        dependency_proto = descriptor_pb2.FileDescriptorProto()
        dependency.CopyToProto(dependency_proto)
        for nested in dependency.dependencies:
            nested_proto = descriptor_pb2.FileDescriptorProto()
            nested.CopyToProto(nested_proto)
            pool.Add(nested_proto)
        pool.Add(dependency_proto)
    pool.Add(file_proto)
    return pool.FindServiceByName(service.full_name)


def test_an_rpc_added_to_a_proto_without_a_rule_fails_the_sweep_and_the_server(
        ward: Ward) -> None:
    grown = _with_extra_method(SERVICES["staffing"], "ForgetEverything")
    problems = sweep(ward, {"staffing": grown}, tables(ward), [], {})
    assert problems == ["staffing.ForgetEverything: no authorisation rule"]
    with pytest.raises(authz.TableIncomplete, match="has no rule for ForgetEverything"):
        staffing_authz.authz.Authorisation(
            grown, staffing_authz.table(staffing_authz.StaffDirectory(ward.stores["staffing"])),
            directory=staffing_authz.StaffDirectory(ward.stores["staffing"]),
            audit=lambda *_: None)
