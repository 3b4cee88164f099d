"""Who may call what: one table per service, checked before every use case (DESIGN.md).

Each service maps every RPC of its proto to a `Rule`:
- `ANYONE`: aggregate reads with no personal data (units, the catalogue, compliance shares);
- `SERVICE`: the scheduler and the notifier acting as themselves, proved by the scheduler
  credential (`CLINOPS_SCHEDULER_CREDENTIAL`), never by a header anyone could set;
- `person(...)`: the bot on behalf of a Slack user of the facility's team who is in the
  service's staff directory and holds one of the named relations (staff, charge nurse, manager,
  educator, approver, supervisor...) to the unit the request is about; a rule may also let
  the person the request is about in (`own`), refuse them (`not_own`: separation of duties), or
  let the service identity in too (`or_service`).

`Authorisation` is the server interceptor that enforces a service's table: an RPC without a row
is refused, and `check_table` makes a service refuse to start when its proto has an RPC its
table does not name. Every refusal is written to the service's audit log with the caller and
the reason, then answered PERMISSION_DENIED (UNAUTHENTICATED when the call names nobody).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinops.rpc import CORRELATION_ID_KEY, SLACK_TEAM_KEY, SLACK_USER_KEY, Caller
from clinops.serving import replaced

SERVICE_CREDENTIAL_KEY = "x-clinops-service-credential"
SCHEDULER_CREDENTIAL_ENV = "CLINOPS_SCHEDULER_CREDENTIAL"
# A unit no one works on: what a rule resolves "every unit" to, so only those who hold the
# relation everywhere (a house supervisor; an educator where the service says so) pass.
EVERY_UNIT = "*"
log = logging.getLogger(__name__)

# What the request names: a unit id, or the staff id of the person it is about. A function of
# the request (and, through its closure, the service's store); None when the object named is
# unknown, so the use case answers NOT_FOUND in its own words.
Resolver = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Rule:
    """Who may call one RPC."""

    anyone: bool = False
    service: bool = False
    relations: frozenset[str] = frozenset()
    # The unit the request is about; None: any unit (the caller holds the relation somewhere).
    unit: Resolver | None = None
    # The person the request is about may call it too (their own certificates, their shifts).
    own: Resolver | None = None
    # ...or may never call it: no one confirms, approves or verifies their own request.
    not_own: Resolver | None = None
    why: str = ""
    # The refusal in the ward's words: text with "{unit}" filled in, or a function of the
    # request and unit; else words made from the relations.
    says: str | Callable[[Any, str], str] = ""
    own_says: str = "No one may decide their own request: a colleague will."

    @property
    def person(self) -> bool:
        return bool(self.relations or self.own)


ANYONE = Rule(anyone=True, why="aggregate read, no personal data")
SERVICE = Rule(service=True, why="the scheduler or notifier, as itself")


def from_field(name: str) -> Resolver:
    """The request's own field `name` (a unit id or staff id as sent)."""
    return lambda request: getattr(request, name)


def unit_field(directory: Directory, name: str = "unit_id") -> Resolver:
    """The unit the request's field `name` names; None when the service knows no such unit."""
    return lambda request: directory.unit(getattr(request, name))


def person(*relations: str, unit: Resolver | str | None = None, own: Resolver | str | None = None,
           not_own: Resolver | str | None = None, or_service: bool = False,
           why: str = "", says: str | Callable[[Any, str], str] = "",
           own_says: str = "") -> Rule:
    """A rule for the bot acting for a person of the facility holding one of `relations`."""
    def resolver(value: Resolver | str | None) -> Resolver | None:
        return from_field(value) if isinstance(value, str) else value

    return Rule(service=or_service, relations=frozenset(relations), unit=resolver(unit),
                own=resolver(own), not_own=resolver(not_own), why=why, says=says,
               **({"own_says": own_says} if own_says else {}))


@dataclass(frozen=True)
class Member:
    """A caller found in the service's staff directory."""

    staff_id: str
    home_unit_id: str = ""
    duties: frozenset[str] = frozenset()
    # Relations the directory records per unit apart from home unit and duties
    # (supplies: the units someone approves or receives for).
    units: Mapping[str, frozenset[str]] = field(default_factory=dict)


class Directory(Protocol):
    """What a service knows about callers, from its own store."""

    def teams(self) -> frozenset[str]:
        """The facility's Slack team ids: the teams of the people in the directory."""
        ...

    def member(self, slack_team_id: str, slack_user_id: str) -> Member | None:
        """The caller as the directory knows them, or None."""
        ...

    def holds(self, member: Member, relation: str, unit_id: str | None) -> bool:
        """Does `member` hold `relation` to `unit_id` (None: to some unit)?"""
        ...

    def unit(self, unit_id: str) -> str | None:
        """`unit_id` as the service keeps it ("" stays ""), or None when it knows no such unit."""
        ...


RELATION_NAMES = {"charge": "the charge nurse", "manager": "manager",
                  "supervisor": "the house supervisor", "educator": "an educator",
                  "staff": "the staff", "approver": "an approver", "receiver": "a receiver"}
# Duties that make someone the unit's charge nurse, manager, educator or house supervisor;
# a house supervisor holds every relation to every unit of the facility.
_WARD_RELATIONS: dict[str, frozenset[str]] = {
    "charge": frozenset({"CHARGE", "MANAGER"}),
    "manager": frozenset({"MANAGER"}),
    "educator": frozenset({"EDUCATOR"}),
}


def ward_relation(member: Member, relation: str, unit_id: str | None) -> bool:
    """The relations every service reads the same way from home unit and duties:
    member (anyone in the directory), staff (works on the unit), charge, manager, educator,
    supervisor; plus what the directory records per unit (`Member.units`)."""
    if relation == "member":
        return True
    if "SUPERVISOR" in member.duties:
        return True
    if unit_id is None:
        on_unit = bool(member.home_unit_id) or bool(member.units)
        recorded = any(relation in relations for relations in member.units.values())
    else:
        on_unit = member.home_unit_id == unit_id
        recorded = relation in member.units.get(unit_id, frozenset())
    if recorded:
        return True
    if relation == "staff":
        return on_unit and bool(member.home_unit_id)
    duties = _WARD_RELATIONS.get(relation)
    return bool(duties and duties & member.duties and on_unit and member.home_unit_id)


AuditRefusal = Callable[[Caller, str, str, str, str], None]
"""(caller, staff id or "", RPC name, unit or subject, reason) → an audit row, in the service."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    code: grpc.StatusCode = grpc.StatusCode.OK
    reason: str = ""
    staff_id: str = ""
    subject: str = ""


def _refused(reason: str, *, code: grpc.StatusCode = grpc.StatusCode.PERMISSION_DENIED,
             staff_id: str = "", subject: str = "") -> Verdict:
    return Verdict(False, code, reason, staff_id, subject)


def decide(rule: Rule, request: Any, *, caller: Caller, presented_credential: str,
           scheduler_credential: str, directory: Directory) -> Verdict:
    """Whether `caller` (with the credential the call presented) may make this request."""
    if rule.anyone:
        return Verdict(True)
    if rule.service and scheduler_credential and presented_credential and hmac.compare_digest(
            presented_credential.encode(), scheduler_credential.encode()):
        return Verdict(True)
    if not rule.person:
        if presented_credential:
            return _refused("Wrong scheduler credential", code=grpc.StatusCode.UNAUTHENTICATED)
        return _refused("Only the scheduler may call this", code=grpc.StatusCode.UNAUTHENTICATED
                        if not caller.known else grpc.StatusCode.PERMISSION_DENIED)
    if not caller.known:
        return _refused("The call names no Slack team and user",
                        code=grpc.StatusCode.UNAUTHENTICATED)
    member = directory.member(caller.slack_team_id, caller.slack_user_id)
    if member is None:
        # Someone in the directory is of the facility's team by definition: ask only now.
        if caller.slack_team_id not in directory.teams():
            return _refused(f"Slack team {caller.slack_team_id} is not the facility's")
        return _refused(getattr(directory, "stranger", "")
                        or "You are not in the staff directory; ask your unit manager")
    if rule.not_own is not None:
        whose = rule.not_own(request)
        if whose and whose == member.staff_id:
            return _refused(rule.own_says, staff_id=member.staff_id,
                            subject=whose)
    if rule.own is not None and rule.own(request) in (member.staff_id, ""):
        # Empty: the request is about the caller themselves (e.g. "my certificates").
        return Verdict(True, staff_id=member.staff_id)
    unit = rule.unit(request) if rule.unit is not None else ""
    if unit is None:
        # The request names an object or unit that does not exist: the use case says so
        # (NOT_FOUND, with the known units), as it would to anyone entitled to ask.
        return Verdict(True, staff_id=member.staff_id)
    unit = unit.strip().upper() or None  # every service keeps unit ids upper-case
    if any(directory.holds(member, relation, unit) for relation in sorted(rule.relations)):
        return Verdict(True, staff_id=member.staff_id)
    where = "every unit" if unit == EVERY_UNIT else unit or "a unit"
    if rule.says:
        text = (rule.says.format(unit=where) if isinstance(rule.says, str)
                else rule.says(request, where))
        return _refused(text, staff_id=member.staff_id, subject=unit or "")
    # The house supervisor, who may do anything on any unit, goes without saying.
    names = [RELATION_NAMES.get(r, r) for r in sorted(rule.relations)
             if r not in ("member", "supervisor")] or ["the house supervisor"]
    names[0] = "the manager" if names[0] == "manager" else names[0]
    wanted = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
    if rule.own is not None:
        wanted = f"the person concerned or {wanted}" if wanted else "the person concerned"
    return _refused(f"Only {wanted} of {where} may do this", staff_id=member.staff_id,
                    subject=unit or "")


class TableIncomplete(Exception):
    """A service's proto has an RPC its authorisation table does not name (or names one more)."""


def check_table(service: ServiceDescriptor, table: Mapping[str, Rule]) -> None:
    """Refuse a table that does not have exactly one row per RPC of `service`."""
    methods = {method.name for method in service.methods}
    missing, extra = sorted(methods - set(table)), sorted(set(table) - methods)
    if missing or extra:
        raise TableIncomplete(
            f"{service.full_name}: authorisation table "
            + (f"has no rule for {', '.join(missing)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"names RPCs not in the proto: {', '.join(extra)}" if extra else ""))


class Authorisation(grpc.aio.ServerInterceptor):
    """Enforces one service's table before its servicer runs (within the handler's thread)."""

    def __init__(self, service: ServiceDescriptor, table: Mapping[str, Rule], *,
                 directory: Directory, audit: AuditRefusal,
                 scheduler_credential: str | None = None) -> None:
        check_table(service, table)
        self.prefix = f"/{service.full_name}/"
        self.table, self.directory, self.audit = dict(table), directory, audit
        self.scheduler_credential = (scheduler_credential if scheduler_credential is not None
                                     else scheduler_credential_from_environment())

    async def intercept_service(self, continuation: Any,
                                details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None or not details.method.startswith(self.prefix):
            return handler  # health and reflection: no personal data, no action
        name = details.method.removeprefix(self.prefix)
        rule = self.table.get(name)
        if handler.unary_unary is None:  # no streaming RPCs in the protos; refuse any that come
            rule = None
        behaviour = handler.unary_unary

        def authorised(request: Any, context: grpc.ServicerContext) -> Any:
            metadata: dict[str, Any] = dict(context.invocation_metadata() or ())
            caller = Caller(str(metadata.get(SLACK_TEAM_KEY, "")),
                            str(metadata.get(SLACK_USER_KEY, "")),
                            str(metadata.get(CORRELATION_ID_KEY, "")))
            if rule is None:
                verdict = _refused(f"{name} has no authorisation rule")
            else:
                verdict = decide(rule, request, caller=caller,
                                 presented_credential=str(metadata.get(SERVICE_CREDENTIAL_KEY, "")),
                                 scheduler_credential=self.scheduler_credential,
                                 directory=self.directory)
            if verdict.allowed:
                return behaviour(request, context)
            self.audit(caller, verdict.staff_id, name, verdict.subject, verdict.reason)
            log.info("refused %s for team %s user %s: %s", name, caller.slack_team_id or "-",
                     caller.slack_user_id or "-", verdict.reason)
            context.abort(verdict.code, verdict.reason)

        if behaviour is None:
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: context.abort(
                    grpc.StatusCode.PERMISSION_DENIED, f"{name} has no authorisation rule"))
        return replaced(handler, authorised)


# ---- the scheduler credential --------------------------------------------------------------


class SchedulerCredentialSettings(BaseSettings):
    """The secret the scheduler and notifier present and the services check (CLINOPS_ prefix)."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_", extra="ignore")

    scheduler_credential: SecretStr | None = Field(
        default=None, description="Proves a call comes from the scheduler or notifier")
    scheduler_credential_file: Path | None = Field(
        default=None, description="File holding the scheduler credential (instead of the value)")

    def credential(self) -> str:
        if self.scheduler_credential is not None:
            return self.scheduler_credential.get_secret_value().strip()
        if self.scheduler_credential_file is not None and self.scheduler_credential_file.is_file():
            return self.scheduler_credential_file.read_text().strip()
        return ""


def scheduler_credential_from_environment() -> str:
    """The scheduler credential from the environment; empty when unset (services then refuse
    every scheduler-only RPC: fail closed)."""
    return SchedulerCredentialSettings().credential()


def new_scheduler_credential() -> str:
    """A fresh credential, e.g. for one run of the demo."""
    return secrets.token_urlsafe(32)


def service_metadata(credential: str | None = None) -> tuple[tuple[str, str], ...]:
    """Metadata proving the call comes from the scheduler or notifier (nothing when unset)."""
    credential = scheduler_credential_from_environment() if credential is None else credential
    return ((SERVICE_CREDENTIAL_KEY, credential),) if credential else ()


def methods_of(services: Iterable[ServiceDescriptor]) -> list[tuple[ServiceDescriptor, str]]:
    """Every (service, RPC name) of the given descriptors, in proto order."""
    return [(service, method.name) for service in services for method in service.methods]


__all__ = ["ANYONE", "SERVICE", "Authorisation", "Directory", "Member", "Rule", "TableIncomplete",
           "check_table", "decide", "ward_relation", "from_field", "person", "service_metadata"]
