"""`clinops import supplies|receipts|training FILE`: a cabinet, receiving-dock or HR export into a
service, all or nothing.

The file is read here only far enough to send it: supply-cabinet rows become StockRow messages,
receiving-dock rows ReceiptRow messages; certification files go as they are (CSV with its header
names made canonical, or FHIR JSON).
Every rule about what may be written, and who may write it, stays in the owning service, which
writes every row or none. docs/imports.md lists the columns and FHIR fields accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import grpc
from pydantic import ValidationError

from clinops import rpc

DEFAULT_DEADLINE_SECONDS = 30.0
MAX_FILE_BYTES = 20 * 1024 * 1024
# A service takes one request of at most gRPC's default 4 MiB (the servers keep the default).
# An import is one request, so a larger file goes as parts; a part of 3 MB leaves room for the
# rows' framing, which can make the request a little larger than the file.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
PART_MB = 3
TOO_LARGE = f"split the file into parts under {PART_MB} MB and import each"
# An FHIR Practitioner Bundle is about 7 levels deep (see services/training/imports.py).
MAX_JSON_DEPTH = 32
INT32_MAX = 2**31 - 1
DELIMITERS = ",;\t|"

# Header names as supply cabinets and spreadsheets spell them, folded (lower case, words joined
# by "_") → the column they mean.
STOCK_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "unit_id", "nursing_unit", "department", "dept", "location", "area",
             "cost_center"),
    "sku": ("sku", "item", "item_id", "item_number", "item_no", "item_code", "product_code",
            "product_id", "catalog_number", "part_number"),
    "date": ("date", "day", "count_date", "transaction_date", "business_date", "as_of",
             "as_of_date"),
    "counted": ("counted", "count", "on_hand", "qty_on_hand", "quantity_on_hand",
                "counted_qty", "count_qty", "physical_count"),
    "consumed": ("consumed", "used", "usage", "qty_used", "quantity_used", "dispensed",
                 "issued", "qty_issued", "consumption"),
}
REQUIRED_STOCK_COLUMNS = ("unit", "sku", "date")

# A receiving dock's (or supply cabinet's) receipts: which order, which item, how many arrived.
RECEIPT_COLUMNS: dict[str, tuple[str, ...]] = {
    "purchase_order": ("purchase_order", "purchase_order_id", "purchase_order_number",
                       "purchase_order_no", "po", "po_number", "po_no", "po_id", "order_number",
                       "order_no", "order"),
    "sku": STOCK_COLUMNS["sku"],
    "quantity": ("quantity_received", "qty_received", "received_qty", "received_quantity",
                 "received", "receipt_qty", "quantity", "qty"),
}

# The training service reads these five names; HR and learning systems call them otherwise.
TRAINING_COLUMNS: dict[str, tuple[str, ...]] = {
    "staff_id": ("staff_id", "staff", "employee_id", "employee_number", "employee_no",
                 "person_id", "badge_id"),
    "certification_code": ("certification_code", "certification", "cert", "cert_code",
                           "certification_type", "course_code", "credential", "code"),
    "issued_on": ("issued_on", "issued", "issue_date", "issued_date", "date_issued",
                  "completion_date", "completed_on", "completed"),
    "expires_on": ("expires_on", "expires", "expiry", "expiry_date", "expiration",
                   "expiration_date", "expires_date", "valid_through", "valid_until"),
    "evidence_reference": ("evidence_reference", "evidence", "reference", "card_number",
                           "certificate_number", "ecard_code"),
}


class ImportFileError(Exception):
    """The file cannot be read as an import at all; the message says why, for a person."""


@dataclass(frozen=True)
class StockRowIn:
    """One cabinet row as the file states it, with the data row it came from."""

    row: int
    unit_id: str
    sku: str
    day: date
    counted: int | None
    consumed: int


@dataclass(frozen=True)
class ReceiptRowIn:
    """One receiving-dock row as the file states it, with the data row it came from."""

    row: int
    purchase_order_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Rejected:
    where: str  # "row 3", "Bundle.entry[1]"
    reason: str


@dataclass
class Outcome:
    """What a person sees: the lines to print, and whether anything was written."""

    ok: bool
    lines: list[str] = field(default_factory=list)


# ---- reading files -------------------------------------------------------------------------

def file_bytes(path: Path) -> bytes:
    """The file's bytes, or ImportFileError saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from None


def read_text(content: bytes, name: str) -> str:
    """The file as text: UTF-8 (with or without BOM) or UTF-16 with its BOM."""
    if not content.strip():
        raise ImportFileError(f"{name} is empty")
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                              "split it into several imports")
    if content.startswith(b"PK\x03\x04"):
        raise ImportFileError(f"{name} is a spreadsheet workbook (.xlsx), not CSV; "
                              "save it as 'CSV UTF-8' and import that")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = content.decode("utf-16")
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"{name} is not UTF-8 text (byte 0x{content[error.start]:02x} at offset "
                f"{error.start}); save it as 'CSV UTF-8' and import that") from None
    if "\x00" in text:
        raise ImportFileError(f"{name} is binary, not a text export")
    return text


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _reader(text: str, name: str) -> tuple[csv.reader, list[str]]:
    first = text.lstrip("\r\n").split("\n", 1)[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text.lstrip("\r\n")), dialect)
    try:
        header = next(rows)
    except (StopIteration, csv.Error) as error:
        raise ImportFileError(f"{name} has no CSV header: {error}") from None
    return rows, header


def _columns(header: Sequence[str], aliases: dict[str, tuple[str, ...]],
             required: Iterable[str], name: str) -> dict[str, int]:
    """Column → index in the header; names are compared folded, so 'Item Number' is 'sku'."""
    lookup = {alias: column for column, names in aliases.items() for alias in names}
    found: dict[str, int] = {}
    for index, heading in enumerate(header):
        column = lookup.get(_fold(heading))
        if column is not None and column not in found:
            found[column] = index
    missing = [c for c in required if c not in found]
    if missing:
        shown = ", ".join(repr(h.strip()) for h in header[:8]) or "nothing"
        raise ImportFileError(
            f"{name} is not a CSV export with the columns needed: no {', '.join(missing)} "
            f"column (found {shown}); docs/imports.md lists the names accepted")
    return found


def parse_day(text: str) -> date:
    """YYYY-MM-DD (a time after it is ignored) or the US M/D/YYYY cabinets and HR export."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?", text)
    if match:
        month, day, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(f"date {text!r} does not exist") from None
    raise ValueError(f"date {text!r} is not YYYY-MM-DD or M/D/YYYY")


def _quantity(text: str, column: str) -> int | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    if not re.fullmatch(r"-?\d+(\.0+)?", cleaned):
        raise ValueError(f"{column} {text.strip()!r} is not a whole number")
    # Digits are counted before int(): Python refuses to convert more than 4,300 of them, and
    # a float of that many is infinite.
    if len(cleaned.split(".")[0].lstrip("-0")) > len(str(INT32_MAX)):
        raise ValueError(f"{column} {text.strip()[:20]}… is far too large")
    value = int(float(cleaned)) if "." in cleaned else int(cleaned)
    if abs(value) > INT32_MAX:
        raise ValueError(f"{column} {text.strip()} is far too large")
    return value


def data_rows(rows: Iterable[list[str]], name: str) -> Iterator[tuple[int, list[str]]]:
    """The file's data rows numbered as its users count them (blank lines skipped, not counted);
    unreadable CSV and a header without rows are an ImportFileError naming the place."""
    number = 0
    try:
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            yield number, cells
    except csv.Error as error:
        raise ImportFileError(f"{name} is not valid CSV near row {number + 1}: {error}") from None
    if not number:
        raise ImportFileError(f"{name} has a header but no rows")


def row_values(cells: list[str], columns: dict[str, int]) -> dict[str, str]:
    """Each known column's cell, stripped; '' where the row is short."""
    return {column: cells[index].strip() if index < len(cells) else ""
            for column, index in columns.items()}


def call_import(method: Callable[..., Any], request: Any, *, service: str, target: str,
                caller: rpc.Caller, deadline_seconds: float,
                idempotency_key: str = "") -> Any:
    """One import RPC as `caller`, with the file's key: the answer, or the Outcome saying why
    there is none."""
    size = request.ByteSize()
    if size > MAX_REQUEST_BYTES:
        return Outcome(False, [f"the import is {size / (1024 * 1024):.1f} MB as sent; {service} "
                               f"takes at most {MAX_REQUEST_BYTES // (1024 * 1024)} MB at once: "
                               f"{TOO_LARGE}", "nothing was written"])
    try:
        return method(request, timeout=deadline_seconds,
                      metadata=rpc.caller_metadata(caller)
                      + rpc.idempotency_metadata(idempotency_key))
    except grpc.RpcError as error:
        return _refusal(service, target, error)


def row_rejections(rows: Sequence[Any], rejected: Iterable[Any]) -> Outcome:
    """The service numbers rows as sent; name them as the file does."""
    return _rejections([Rejected(f"row {rows[r.row_number - 1].row}", r.reason)
                        for r in rejected])


def read_stock_csv(content: bytes, name: str = "the file"
                   ) -> tuple[list[StockRowIn], list[Rejected]]:
    """Cabinet rows, and the rows that cannot even be sent (with why); see docs/imports.md."""
    rows, header = _reader(read_text(content, name), name)
    columns = _columns(header, STOCK_COLUMNS, REQUIRED_STOCK_COLUMNS, name)
    if "counted" not in columns and "consumed" not in columns:
        raise ImportFileError(f"{name} has neither a counted nor a consumed column; "
                              "docs/imports.md lists the names accepted")
    good: list[StockRowIn] = []
    rejected: list[Rejected] = []
    for number, cells in data_rows(rows, name):
        values = row_values(cells, columns)
        problems = []
        day = counted = consumed = None
        if not values["date"]:
            problems.append("date is missing")
        else:
            try:
                day = parse_day(values["date"])
            except ValueError as error:
                problems.append(str(error))
        for column in ("counted", "consumed"):
            try:
                value = _quantity(values.get(column, ""), column)  # either may be absent
            except ValueError as error:
                problems.append(str(error))
                continue
            if column == "counted":
                counted = value
            else:
                consumed = value
        if not problems and counted is None and consumed is None:
            problems.append("neither counted nor consumed is given")
        if problems or day is None:
            rejected.append(Rejected(f"row {number}", "; ".join(problems)))
            continue
        good.append(StockRowIn(number, values["unit"], values["sku"], day, counted,
                               consumed or 0))
    return good, rejected


def read_receipts_csv(content: bytes, name: str = "the file"
                      ) -> tuple[list[ReceiptRowIn], list[Rejected]]:
    """Receipt rows, and the rows that cannot even be sent (with why); see docs/imports.md."""
    rows, header = _reader(read_text(content, name), name)
    columns = _columns(header, RECEIPT_COLUMNS, tuple(RECEIPT_COLUMNS), name)
    good: list[ReceiptRowIn] = []
    rejected: list[Rejected] = []
    for number, cells in data_rows(rows, name):
        values = row_values(cells, columns)
        problems = [f"{column.replace('_', ' ')} is missing"
                    for column in ("purchase_order", "sku") if not values[column]]
        quantity = None
        try:
            quantity = _quantity(values["quantity"], "quantity")
        except ValueError as error:
            problems.append(str(error))
        else:
            if quantity is None:
                problems.append("quantity is missing")
        if problems or quantity is None:
            rejected.append(Rejected(f"row {number}", "; ".join(problems)))
            continue
        good.append(ReceiptRowIn(number, values["purchase_order"], values["sku"], quantity))
    return good, rejected


def training_format(text: str) -> str:
    """'FHIR_JSON' when the content is a JSON object (a Practitioner or Bundle), else 'CSV'."""
    return "FHIR_JSON" if text.lstrip().startswith("{") else "CSV"


def canonical_training_csv(text: str, name: str = "the file") -> bytes:
    """The HR export with the header names the training service reads and ISO dates.

    Rows keep their order and count, so the service's row numbers are the file's data rows.
    A date the file spells M/D/YYYY is rewritten as YYYY-MM-DD; anything else is left for the
    service to judge and report.
    """
    rows, header = _reader(text, name)
    columns = _columns(header, TRAINING_COLUMNS, ("staff_id", "certification_code",
                                                 "issued_on"), name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(columns))
    written = 0
    try:
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            values = []
            for column, index in columns.items():
                value = cells[index].strip() if index < len(cells) else ""
                if column in ("issued_on", "expires_on") and "/" in value:
                    with contextlib.suppress(ValueError):
                        value = parse_day(value).isoformat()
                values.append(value)
            writer.writerow(values)
            written += 1
    except csv.Error as error:
        raise ImportFileError(f"{name} is not valid CSV near row {written + 1}: {error}"
                              ) from None
    if not written:
        raise ImportFileError(f"{name} has a header but no rows")
    return out.getvalue().encode()


# ---- calling the services ------------------------------------------------------------------

def parse_caller(text: str | None) -> rpc.Caller:
    """'T0CLINOPS:U0ICU001' → the Slack team and user the service will hold to account."""
    if not text:
        return rpc.Caller(slack_team_id="", slack_user_id="")
    team, sep, user = text.partition(":")
    if not sep or not team.strip() or not user.strip():
        raise ImportFileError(f"--as {text!r}: expected SLACK_TEAM:SLACK_USER, "
                              "e.g. T0CLINOPS:U0ICU001")
    return rpc.Caller(slack_team_id=team.strip(), slack_user_id=user.strip())


def _refusal(service: str, target: str, error: grpc.RpcError) -> Outcome:
    code = error.code()
    if code == grpc.StatusCode.UNAVAILABLE:
        return Outcome(False, [f"{service} is not answering at {target} ({code.name}); "
                               "nothing was written"])
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        # The service may have written it just after we stopped waiting: say so, and say how
        # to find out (the same file again is recognised by its key and never written twice).
        return Outcome(False, [f"{service} did not answer in time at {target}; the import may "
                               "or may not have been written",
                               "run the same command again with the same file: it is written "
                               "at most once, and the answer says what was written"])
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        # gRPC's own refusal of a request over the service's message limit ("Received message
        # larger than max"): the file is too large for one import, not a fault to report.
        return Outcome(False, [f"{service} refused the import as too large to take at once: "
                               f"{TOO_LARGE}", "nothing was written"])
    violations = rpc.field_violations(error)
    detail = "; ".join(f"{k}: {v}" for k, v in violations.items()) or error.details() or ""
    lead = {grpc.StatusCode.PERMISSION_DENIED: "refused",
            grpc.StatusCode.UNAUTHENTICATED: "refused",
            grpc.StatusCode.INVALID_ARGUMENT: "the import was refused"}.get(
                code, f"{service} answered {code.name}")
    # A service may say it itself ("…; nothing was written"): once is enough.
    detail = detail.removesuffix("; nothing was written")
    return Outcome(False, [f"{lead}: {detail}", "nothing was written"])


def _rejections(rejected: Sequence[Rejected]) -> Outcome:
    lines = [f"{r.where}: {r.reason}" for r in rejected]
    noun = "entry was" if len(rejected) == 1 else "entries were"
    lines.append(f"{len(rejected)} {noun} rejected; nothing was written")
    return Outcome(False, lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def import_stock(rows: Sequence[StockRowIn], *, channel: grpc.Channel, caller: rpc.Caller,
                 deadline_seconds: float, target: str = "supplies",
                 idempotency_key: str = "") -> Outcome:
    """Send the rows to ImportStock; the service writes all of them or none."""
    from clinops.common.v1 import common_pb2
    from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc

    request = supplies_pb2.ImportStockRequest(rows=[
        supplies_pb2.StockRow(
            unit_id=r.unit_id, sku=r.sku,
            date=common_pb2.Date(year=r.day.year, month=r.day.month, day=r.day.day),
            counted=r.counted or 0, has_count=r.counted is not None, consumed=r.consumed)
        for r in rows])
    answer = call_import(supplies_pb2_grpc.SuppliesServiceStub(channel).ImportStock, request,
                         service="supplies", target=target, caller=caller,
                         deadline_seconds=deadline_seconds, idempotency_key=idempotency_key)
    if isinstance(answer, Outcome):
        return answer
    if answer.rejected:
        return row_rejections(rows, answer.rejected)
    lines = [f"{_plural(answer.rows_written, 'row')} written, "
             f"{_plural(len(answer.proposals), 'proposal')} opened"]
    for proposal in answer.proposals:
        lines.append(f"  {proposal.proposal_id} for {proposal.unit_id}: "
                     f"{_plural(len(proposal.lines), 'line')}, "
                     f"${proposal.total_cents / 100:,.2f}")
    return Outcome(True, lines)


def import_receipts(rows: Sequence[ReceiptRowIn], *, channel: grpc.Channel,
                    caller: rpc.Caller, deadline_seconds: float,
                    target: str = "supplies", idempotency_key: str = "") -> Outcome:
    """Send the rows to ImportReceipts; the service moves all of them into stock or none.

    Unlike a count, a receipt adds: the same file sent twice (a rerun after a timeout) must not
    receive twice, so it carries a key made from the file, and the service answers a repeat
    with its first answer.
    """
    from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc

    request = supplies_pb2.ImportReceiptsRequest(rows=[
        supplies_pb2.ReceiptRow(purchase_order_id=r.purchase_order_id, sku=r.sku,
                                quantity=r.quantity) for r in rows])
    answer = call_import(supplies_pb2_grpc.SuppliesServiceStub(channel).ImportReceipts,
                         request, service="supplies", target=target, caller=caller,
                         deadline_seconds=deadline_seconds, idempotency_key=idempotency_key)
    if isinstance(answer, Outcome):
        return answer
    if answer.rejected:
        return row_rejections(rows, answer.rejected)
    lines = [f"{_plural(answer.rows_written, 'row')} written, "
             f"{_plural(len(answer.orders), 'purchase order')} received into stock"]
    for order in answer.orders:
        left = sum(line.outstanding for line in order.lines)
        moved = ", ".join(f"{line.sku} +{line.quantity}" for line in order.lines
                          if line.quantity)
        state = "fully received" if not left else f"{left} still expected"
        lines.append(f"  {order.purchase_order_id} for {order.unit_id}: {moved or 'nothing'}"
                     f" ({state})")
    return Outcome(True, lines)


def import_key(kind: str, path: Path, content: bytes, caller: rpc.Caller) -> str:
    """One export file (path, content and modification time) sent by one person: one import.
    A rerun after a timeout gets the first answer instead of writing the rows again; the next
    export, even identical, is another file (another name or modification time) and is written.
    A corrected file is new content, so it is decided afresh.
    """
    try:
        modified = str(path.stat().st_mtime_ns)
    except OSError:
        modified = ""
    digest = hashlib.sha256(b"\0".join((content, modified.encode(), str(path.resolve()).encode(),
                                         caller.slack_team_id.encode(),
                                         caller.slack_user_id.encode()))).hexdigest()
    return f"import:{kind}:{digest[:40]}"


def fhir_kind(text: str, name: str = "the file") -> str:
    """The resourceType of a FHIR JSON file, or a clear ImportFileError when it is not JSON."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"{name} is not valid JSON: {error.msg} at line {error.lineno}"
                              ) from None
    except RecursionError:
        raise ImportFileError(f"{name} is JSON nested more than {MAX_JSON_DEPTH} levels deep; "
                              "a FHIR Practitioner needs fewer than 10") from None
    except ValueError:
        # Python converts at most 4,300 digits to an int; no date or count has as many.
        raise ImportFileError(f"{name} holds a number with thousands of digits; "
                              "it is not a FHIR export") from None
    kind = document.get("resourceType") if isinstance(document, dict) else None
    if kind not in ("Bundle", "Practitioner"):
        raise ImportFileError(f"{name} is JSON but not a FHIR Practitioner or Bundle "
                              f"(resourceType {kind!r})")
    return kind


def _entry(position: int, reason: str, import_format: str, fhir_resource: str) -> Rejected:
    """Name a rejected entry as the file does; the service's reason may name the row itself."""
    if import_format == "CSV":
        return Rejected(f"row {position}", reason.removeprefix(f"row {position}: "))
    where = "Practitioner" if fhir_resource == "Practitioner" else f"Bundle.entry[{position}]"
    return Rejected(where, reason)


def import_training(content: bytes, import_format: str, *, channel: grpc.Channel,
                    caller: rpc.Caller, deadline_seconds: float,
                    target: str = "training", fhir_resource: str = "Bundle",
                    idempotency_key: str = "") -> Outcome:
    """Send the file to ImportRecords; the service parses it and writes every record or none."""
    from clinops.training.v1 import training_pb2, training_pb2_grpc

    request = training_pb2.ImportRecordsRequest(
        format=training_pb2.ImportFormat.Value(f"IMPORT_FORMAT_{import_format}"),
        content=content)
    answer = call_import(training_pb2_grpc.TrainingServiceStub(channel).ImportRecords, request,
                         service="training", target=target, caller=caller,
                         deadline_seconds=deadline_seconds, idempotency_key=idempotency_key)
    if isinstance(answer, Outcome):
        return answer
    if answer.rejected:
        return _rejections([_entry(r.position, r.reason, import_format, fhir_resource)
                            for r in answer.rejected])
    return Outcome(True, [f"{_plural(answer.records_written, 'record')} written"])


# ---- the command ---------------------------------------------------------------------------

def _targets() -> tuple[dict[str, str], grpc.ChannelCredentials | None]:
    """The services' targets and credentials from the bot's own settings (no Slack needed)."""
    from bot.config import BotSettings

    try:
        settings = BotSettings()
    except ValidationError as error:
        if any(item.get("loc", ("",))[0] not in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
               for item in error.errors()):
            raise
        settings = BotSettings(SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    return ({"supplies": settings.supplies_target, "receipts": settings.supplies_target,
             "training": settings.training_target, "assignments": settings.staffing_target},
            settings.service_credentials())


def run(kind: str, path: Path, *, caller_text: str | None,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS) -> Outcome:
    """Read `path`, send it to the `kind` service, and say what happened."""
    try:
        caller = parse_caller(caller_text)
        content = file_bytes(path)
        name = path.name
        receipt_rows: list[ReceiptRowIn] = []
        if kind in ("supplies", "receipts"):
            if kind == "supplies":
                rows, rejected = read_stock_csv(content, name)
            else:
                rows, (receipt_rows, rejected) = [], read_receipts_csv(content, name)
            if rejected:
                return _rejections(rejected)
            payload: bytes | None = None
            import_format = fhir_resource = ""
        else:
            text = read_text(content, name)
            import_format = training_format(text)
            if import_format == "CSV":
                payload, fhir_resource = canonical_training_csv(text, name), ""
            else:
                payload, fhir_resource = text.encode(), fhir_kind(text, name)
            rows = []
    except ImportFileError as error:
        return Outcome(False, [str(error), "nothing was written"])
    targets, credentials = _targets()
    target = targets[kind]
    key = import_key(kind, path, content, caller)
    with rpc.client_channel(target, credentials) as channel:
        if kind == "supplies":
            return import_stock(rows, channel=channel, caller=caller,
                                deadline_seconds=deadline_seconds, target=target,
                                idempotency_key=key)
        if kind == "receipts":
            return import_receipts(receipt_rows, channel=channel, caller=caller,
                                   deadline_seconds=deadline_seconds, target=target,
                                   idempotency_key=key)
        assert payload is not None
        return import_training(payload, import_format, channel=channel, caller=caller,
                               deadline_seconds=deadline_seconds, target=target,
                               fhir_resource=fhir_resource, idempotency_key=key)


def main(args: argparse.Namespace, *, out: Callable[[str], None] = print) -> int:
    """Print the outcome; 0 when written, 1 when nothing was."""
    if not args.deadline > 0:
        out("--deadline must be more than 0 seconds")
        return 1
    if args.kind == "assignments":
        from clinops import roster

        targets, credentials = _targets()
        outcome = roster.run(args.file, caller_text=args.caller, target=targets["assignments"],
                             credentials=credentials, deadline_seconds=args.deadline)
    else:
        outcome = run(args.kind, args.file, caller_text=args.caller,
                      deadline_seconds=args.deadline)
    for line in outcome.lines:
        out(line)
    return 0 if outcome.ok else 1
