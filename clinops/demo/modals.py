"""Modals in the console: an opened view as numbered fields, filled with `set N <value>`, and the
`view_submission` payload Slack would send for it (state.values keyed by block and action id).

Pure: no I/O. The console records the view that `views.open` sent and drives these functions.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

TEXT_INPUTS = ("plain_text_input", "number_input", "email_text_input", "url_text_input")
SINGLE_CHOICE = ("static_select", "radio_buttons", "external_select")
MULTI_CHOICE = ("multi_static_select", "checkboxes", "multi_external_select")
# Conversation and user pickers hold one id; the key names the kind of id (Slack's shape).
PICKERS = {"users_select": "selected_user", "conversations_select": "selected_conversation",
           "channels_select": "selected_channel"}
REQUIRED = "Please fill out this field."


def _text(obj: Any) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    return str(obj.get("text", ""))


def options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The element's options, option groups flattened."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


@dataclass
class ModalField:
    """One input block of the modal and what the user has put in it so far."""

    number: int
    block_id: str
    action_id: str
    element: dict[str, Any]
    label: str
    optional: bool
    hint: str
    # str for text, number and date inputs; an option dict (or a list of them) for selects.
    value: Any = None

    @property
    def kind(self) -> str:
        return str(self.element.get("type", ""))

    def shown(self) -> str:
        if self.value in (None, "", []):
            return "—"
        if self.kind in SINGLE_CHOICE:
            return _text(self.value.get("text"))
        if self.kind in MULTI_CHOICE:
            return ", ".join(_text(o.get("text")) for o in self.value)
        return str(self.value)

    def state(self) -> dict[str, Any]:
        """This input as it appears in view.state.values[block_id][action_id]."""
        kind = self.kind
        if kind in SINGLE_CHOICE:
            return {"type": kind, "selected_option": self.value or None}
        if kind in MULTI_CHOICE:
            return {"type": kind, "selected_options": list(self.value or [])}
        if kind == "datepicker":
            return {"type": kind, "selected_date": self.value or None}
        if kind == "timepicker":
            return {"type": kind, "selected_time": self.value or None}
        if kind in PICKERS:
            return {"type": kind, PICKERS[kind]: self.value or None}
        return {"type": kind, "value": self.value if self.value not in ("",) else None}


def _initial(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in SINGLE_CHOICE:
        return element.get("initial_option")
    if kind in MULTI_CHOICE:
        return list(element.get("initial_options") or [])
    if kind == "datepicker":
        return element.get("initial_date")
    if kind == "timepicker":
        return element.get("initial_time")
    if kind in PICKERS:
        return element.get(PICKERS[kind].replace("selected", "initial"))
    value = element.get("initial_value")
    return None if value is None else str(value)


@dataclass
class Modal:
    """An open modal: the view as Slack holds it (with its id), its fields, who opened it."""

    view: dict[str, Any]
    owner_user_id: str
    fields: list[ModalField] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, view: dict[str, Any], owner_user_id: str) -> Modal:
        fields: list[ModalField] = []
        for block in view.get("blocks") or []:
            if block.get("type") != "input" or not isinstance(block.get("element"), dict):
                continue
            element = block["element"]
            fields.append(ModalField(
                number=len(fields) + 1, block_id=block.get("block_id", ""),
                action_id=element.get("action_id", ""), element=element,
                label=_text(block.get("label")), optional=bool(block.get("optional")),
                hint=_text(block.get("hint")), value=_initial(element)))
        return cls(view=view, owner_user_id=owner_user_id, fields=fields)

    @property
    def title(self) -> str:
        return _text(self.view.get("title")) or "Modal"

    def field(self, number: int) -> ModalField | None:
        return self.fields[number - 1] if 1 <= number <= len(self.fields) else None

    def state_values(self) -> dict[str, dict[str, Any]]:
        values: dict[str, dict[str, Any]] = {}
        for item in self.fields:
            values.setdefault(item.block_id, {})[item.action_id] = item.state()
        return values


def set_value(item: ModalField, text: str) -> str | None:
    """Put what the user typed into the field, as Slack's client would; a problem, or None.

    Selects take an option's value or label (or a unique part of one); dates YYYY-MM-DD;
    `-` or nothing clears the field.
    """
    text = text.strip()
    if text in ("", "-"):
        item.value = [] if item.kind in MULTI_CHOICE else None
        return None
    if item.kind in SINGLE_CHOICE:
        option = _choose(options_of(item.element), text)
        if isinstance(option, str):
            return option
        item.value = option
        return None
    if item.kind in MULTI_CHOICE:
        chosen = []
        for part in (p for p in text.split(",") if p.strip()):
            option = _choose(options_of(item.element), part.strip())
            if isinstance(option, str):
                return option
            chosen.append(option)
        item.value = chosen
        return None
    if item.kind == "datepicker":
        try:
            item.value = date.fromisoformat(text).isoformat()
        except ValueError:
            return f"{text} is not a date: the date picker takes YYYY-MM-DD."
        return None
    if item.kind == "timepicker" and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        return f"{text} is not a time: the time picker takes HH:MM."
    item.value = text
    return None


def _choose(options: list[dict[str, Any]], wanted: str) -> dict[str, Any] | str:
    lowered = wanted.lower()
    for test in (lambda v, t: lowered in (v, t),
                 lambda v, t: v.startswith(lowered) or t.startswith(lowered),
                 lambda v, t: lowered in t):
        found = [o for o in options
                 if test(str(o.get("value", "")).lower(), _text(o.get("text")).lower())]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(str(o.get("value")) for o in found[:8])
            return f"{wanted} could be any of {names}: type more of it."
    names = ", ".join(str(o.get("value")) for o in options[:12])
    return f"No option {wanted}; choose one of {names}."


def client_side_errors(modal: Modal) -> dict[str, str]:
    """What Slack's own client refuses before sending anything: empty required fields, numbers
    outside the element's bounds, text over its length."""
    errors: dict[str, str] = {}
    for item in modal.fields:
        element = item.element
        if item.value in (None, "", []):
            if not item.optional:
                errors[item.block_id] = REQUIRED
            continue
        if item.kind == "number_input":
            try:
                number = float(item.value)
            except ValueError:
                errors[item.block_id] = "Enter a number."
                continue
            if not element.get("is_decimal_allowed") and not re.fullmatch(r"-?\d+", item.value):
                errors[item.block_id] = "Enter a whole number."
            elif element.get("min_value") not in (None, "") and number < float(
                    element["min_value"]):
                errors[item.block_id] = f"Enter a number of at least {element['min_value']}."
            elif element.get("max_value") not in (None, "") and number > float(
                    element["max_value"]):
                errors[item.block_id] = f"Enter a number no more than {element['max_value']}."
        elif item.kind in TEXT_INPUTS and element.get("max_length") and len(
                str(item.value)) > int(element["max_length"]):
            errors[item.block_id] = f"Use at most {element['max_length']} characters."
    return errors


def render_modal(modal: Modal, render_other: Any) -> str:
    """The modal as text: title, other blocks, numbered fields with value, options and errors."""
    lines = [f"{modal.title}  (modal)"]
    numbered = {item.block_id: item for item in modal.fields}
    for block in modal.view.get("blocks") or []:
        item = numbered.get(block.get("block_id", "")) if block.get("type") == "input" else None
        if item is None:
            if block.get("type") != "input":
                lines.append(render_other([block]))
            continue
        optional = " (optional)" if item.optional else ""
        lines.append(f"  ({item.number}) {item.label}{optional}: {item.shown()}")
        options = options_of(item.element)
        if options:
            lines.append("      options: " + ", ".join(_option_label(o) for o in options))
        if item.hint:
            lines.append(f"      {item.hint}")
        if item.block_id in modal.errors:
            lines.append(f"      ✗ {modal.errors[item.block_id]}")
    for block_id, problem in modal.errors.items():
        if block_id not in numbered:
            lines.append(f"  ✗ {problem}")
    submit = _text(modal.view.get("submit")) or "Submit"
    close = _text(modal.view.get("close")) or "Cancel"
    lines.append(f"  [submit: {submit}]   [cancel: {close}]   "
                 "fill with `set N <value>`, then `submit`")
    return "\n".join(lines)


def _option_label(option: dict[str, Any]) -> str:
    value, label = str(option.get("value", "")), _text(option.get("text"))
    return label if label.lower().startswith(value.lower()) else f"{value} ({label})"


def view_submission_body(modal: Modal, *, team_id: str, team_domain: str, user_id: str,
                         user_name: str, api_app_id: str, token: str) -> str:
    """The form body (`payload=` JSON) Slack posts when a modal is submitted."""
    view = modal.view
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}",
        "view": {
            "id": view.get("id", ""), "team_id": team_id, "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": modal.state_values()},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"), "clear_on_close": bool(view.get("clear_on_close")),
            "notify_on_close": bool(view.get("notify_on_close")), "close": view.get("close"),
            "submit": view.get("submit"), "previous_view_id": None,
            "root_view_id": view.get("id", ""), "app_id": api_app_id, "external_id": "",
            "app_installed_team_id": team_id, "bot_id": "B0CLINBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def view_closed_body(modal: Modal, *, team_id: str, team_domain: str, user_id: str,
                     user_name: str, api_app_id: str, token: str) -> str:
    """What Slack posts on Cancel, only for views that asked for it (notify_on_close)."""
    payload = {
        "type": "view_closed", "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id, "token": token, "is_cleared": False,
        "view": {**modal.view, "state": {"values": modal.state_values()}},
        "is_enterprise_install": False, "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def split_positional(text: str, count: int) -> list[str]:
    """`submit a b rest of the reason`: one word per field, the last field takes the rest."""
    return text.split(maxsplit=count - 1) if count > 0 and text.strip() else []
