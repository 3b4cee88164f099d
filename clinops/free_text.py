"""Every free-text field of every request passes the patient-identifier guard, by construction.

`FreeTextGuard` is a server interceptor each service puts in front of its use cases. It walks
the request it is given through its protobuf descriptor, recursively, and refuses the call as
INVALID_ARGUMENT naming each field that seems to hold a patient identifier — before any use
case runs, so nothing is stored, queued in an outbox or sent to Redis or Slack.

A string field is free text unless the service lists it as an identifier (Slack ids, unit
codes, SKUs, staff ids...). A field added to a proto is therefore guarded until someone decides
it is an identifier; tests/guard's sweep makes that decision explicit for every field.

Bytes fields carry import files; their free-text cells are guarded where they are parsed
(services/training/imports.py), since only the parser knows which cells are text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from clinops import phi_guard
from clinops.rpc import abort_invalid_argument

_log = logging.getLogger("clinops.free_text")

_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE


def string_fields(message: Descriptor, prefix: str = "",
                  within: tuple[str, ...] = ()) -> Iterator[tuple[str, FieldDescriptor]]:
    """(path, field) for every string field a request of this type can carry, at any depth.

    Paths read as a client sets them: "reason", "census.recorded_by.display_name"; a
    repeated message's fields under "rows[]". A type is not entered again inside itself.
    """
    for field in message.fields:
        path = f"{prefix}{field.name}"
        if field.type == _STRING:
            yield path, field
        elif field.type == _MESSAGE and field.message_type.full_name not in within:
            repeated = field.is_repeated
            yield from string_fields(field.message_type, f"{path}{'[]' if repeated else ''}.",
                                     (*within, message.full_name))


def _texts(message: Message, identifiers: frozenset[str],
           prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for each free-text value set in `message`, repeated ones indexed."""
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.type == _STRING and field.full_name not in identifiers:
            if field.is_repeated:
                yield from ((f"{path}[{i}]", text) for i, text in enumerate(value))
            else:
                yield path, value
        elif field.type == _MESSAGE:
            if field.message_type.GetOptions().map_entry:
                yield from _map_texts(field, value, identifiers, path)
            elif field.is_repeated:
                for i, item in enumerate(value):
                    yield from _texts(item, identifiers, f"{path}[{i}].")
            else:
                yield from _texts(value, identifiers, f"{path}.")


def _map_texts(field: FieldDescriptor, entries: Any, identifiers: frozenset[str],
               path: str) -> Iterator[tuple[str, str]]:
    """A map field's free text: its string keys and values, and text inside message values."""
    entry = field.message_type.fields_by_name
    key, value = entry["key"], entry["value"]
    for k, v in entries.items():
        if key.type == _STRING and key.full_name not in identifiers:
            yield f"{path}[{k!r}]", k
        if value.type == _STRING and value.full_name not in identifiers:
            yield f"{path}[{k!r}]", v
        elif value.type == _MESSAGE:
            yield from _texts(v, identifiers, f"{path}[{k!r}].")


def refusals(request: Message, identifiers: Iterable[str]) -> dict[str, str]:
    """{field path: why} for each free-text field of `request` that holds a patient identifier."""
    return phi_guard.violations(dict(_texts(request, frozenset(identifiers))))


class FreeTextGuard(grpc.aio.ServerInterceptor):
    """Refuses a call whose request holds a patient identifier in any free-text field."""

    def __init__(self, service: ServiceDescriptor, identifiers: Iterable[str]) -> None:
        self.identifiers = frozenset(identifiers)
        known = {field.full_name for method in service.methods
                 for _, field in string_fields(method.input_type)}
        if unknown := sorted(self.identifiers - known):
            # A misspelt or removed name would silently guard nothing different: say so.
            raise ValueError(f"{service.full_name}: not string fields of its requests: "
                             f"{', '.join(unknown)}")
        # Only methods whose requests can carry free text are wrapped: the rest cost nothing.
        self._guarded = frozenset(
            f"/{service.full_name}/{method.name}" for method in service.methods
            if any(field.full_name not in self.identifiers
                   for _, field in string_fields(method.input_type)))

    async def intercept_service(self, continuation: Any,
                                details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None or details.method not in self._guarded or handler.unary_unary is None:
            return handler
        behaviour, identifiers = handler.unary_unary, self.identifiers
        method = details.method.rsplit("/", 1)[-1]

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            found = refusals(request, identifiers)
            if found:
                # The fields and the kind of identifier, never the text itself.
                _log.info("%s refused: patient identifier in %s", method, ", ".join(found))
                abort_invalid_argument(context, found)
            return behaviour(request, context)

        return grpc.unary_unary_rpc_method_handler(
            guarded, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)
