"""Write docs/configuration.md from the settings classes themselves: every environment variable,
its default and its meaning.

    .venv/bin/python scripts/gen_config_docs.py          # rewrite the file
    .venv/bin/python scripts/gen_config_docs.py --check  # exit 1 if the committed file is stale

The meaning is the field's `description`, else the comment written just above the field.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
sys.path.insert(0, str(ROOT))

# (module, class, which process reads it)
SETTINGS = (
    ("bot.config", "BotSettings", "`clinops bot` (and `clinops check`)"),
    ("bot.scheduler.config", "SchedulerSettings", "`clinops scheduler`"),
    ("services.staffing.config", "StaffingSettings", "`clinops serve staffing`"),
    ("services.supplies.config", "SuppliesSettings", "`clinops serve supplies`"),
    ("services.training.config", "TrainingSettings", "`clinops serve training`"),
    ("clinops.check", "StackSettings", "`clinops check`"),
    ("clinops.outbox", "RelaySettings", "each service process (its outbox relay)"),
    ("clinops.metrics", "MetricsSettings", "every process (bot, scheduler, each service)"),
    ("clinops.authz", "SchedulerCredentialSettings",
     "each service, the scheduler and the bot's notifier (the scheduler credential)"),
)


# Meanings for fields that carry neither a description nor a comment in their class. Prefer
# `Field(description=...)` in the class; a new field with no meaning anywhere fails the test.
FALLBACK_MEANINGS = {
    "SLACK_BOT_TOKEN": "Bot User OAuth Token (xoxb-…) from the Slack app's OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "Signing Secret from the Slack app's Basic Information; verifies "
                            "every HTTP request",
    "SLACK_API_URL": "Base URL of the Slack Web API (tests and the console use a stand-in)",
    "CLINOPS_STAFFING_TARGET": "Where the bot (and scheduler) reach the staffing service",
    "CLINOPS_SUPPLIES_TARGET": "Where the bot reaches the supplies service",
    "CLINOPS_TRAINING_TARGET": "Where the bot (and scheduler) reach the training service",
    "CLINOPS_RPC_DEADLINE_SECONDS": "Deadline budget of each Slack request's RPCs (Slack wants "
                                    "an answer within 3 s)",
    "CLINOPS_BOT_PORT": "HTTP port: /slack/events in HTTP mode, /readyz in both modes",
    "CLINOPS_REDIS_URL": "Redis for the scheduler's leader lock, events and dedupe keys",
    "CLINOPS_SCHEDULER_LOCK_NAME": "Redis key of the scheduler's leader lock",
    "CLINOPS_SCHEDULER_POLL_SECONDS": "How often a standby scheduler tries to take the lead",
    "CLINOPS_SCHEDULER_REMINDER_HOUR": "Local hour of the daily certification reminders",
    "CLINOPS_SCHEDULER_REMINDER_MINUTE": "Minute of the daily certification reminders",
    "CLINOPS_SCHEDULER_DIGEST_HOUR": "Local hour of the managers' digests",
    "CLINOPS_SCHEDULER_DIGEST_MINUTE": "Minute of the managers' digests",
    "CLINOPS_SCHEDULER_UPCOMING_WITHIN_DAYS": "How far ahead the weekly digest lists expiring "
                                              "certifications",
    "CLINOPS_SCHEDULER_RPC_DEADLINE_SECONDS": "Deadline on each RPC a scheduled job makes",
    "CLINOPS_STAFFING_DATABASE_URL": "Staffing's database (SQLAlchemy URL; "
                                     "postgresql+psycopg://… in production)",
    "CLINOPS_STAFFING_TRAINING_DEADLINE_SECONDS": "Deadline on staffing's eligibility question "
                                                  "to training",
    "CLINOPS_STAFFING_WEEKLY_HOURS_THRESHOLD": "Weekly hours beyond which a shift is overtime",
    "CLINOPS_SUPPLIES_DATABASE_URL": "Supplies' database (SQLAlchemy URL)",
    "CLINOPS_SUPPLIES_DEMAND_WINDOW_DAYS": "Days of consumption history behind each reorder point",
    "CLINOPS_TRAINING_DATABASE_URL": "Training's database (SQLAlchemy URL)",
}


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    meaning: str
    secret: bool


def settings_classes() -> list[tuple[type, str]]:
    """Each settings class present in this tree (a missing module is skipped), with its reader."""
    found = []
    for module_name, class_name, reader in SETTINGS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        found.append((getattr(module, class_name), reader))
    return found


def _comments_above_fields(cls: type) -> dict[str, str]:
    """The `# comment` lines right above each annotated field, in this class and its bases."""
    comments: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith(("pydantic", "builtins")):
            continue
        try:
            source, _ = inspect.getsourcelines(klass)
        except (OSError, TypeError):
            continue
        tree = ast.parse("".join(source).replace("\n    ", "\n", -1) if source[0].startswith(
            " ") else "".join(source))
        lines = "".join(source).splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                above, index = [], node.lineno - 2
                while index >= 0 and lines[index].strip().startswith("#"):
                    above.insert(0, lines[index].strip().lstrip("#").strip())
                    index -= 1
                if above:
                    comments[node.target.id] = " ".join(above)
    return comments


def env_name(cls: type, name: str) -> str:
    field = cls.model_fields[name]
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


def settings_of(cls: type) -> list[Setting]:
    comments = _comments_above_fields(cls)
    rows = []
    for name, field in cls.model_fields.items():
        secret = "SecretStr" in repr(field.annotation) or field.annotation is SecretStr
        if field.default is PydanticUndefined and field.default_factory is None:
            default = "required"
        elif field.default is None:
            default = "unset"
        elif secret:
            default = "(secret)"
        else:
            default = f"`{field.default}`"
        env = env_name(cls, name)
        meaning = field.description or comments.get(name, "") or FALLBACK_MEANINGS.get(env, "")
        rows.append(Setting(env, default, " ".join(meaning.split()), secret))
    return rows


def all_env_names() -> set[str]:
    return {s.env for cls, _ in settings_classes() for s in settings_of(cls)}


def render() -> str:
    out = [
        "# Configuration reference",
        "",
        "Generated by `scripts/gen_config_docs.py` from the settings classes; do not edit by "
        "hand (a test fails when this file is out of date). Every setting comes from the "
        "environment; secrets may be given as files where a `*_FILE` variable exists. A wrong or "
        "missing setting stops the process at start with `configuration error:` naming it "
        "(exit status 2).",
        "",
    ]
    for cls, reader in settings_classes():
        out += [f"## {cls.__name__}", "", f"Read by {reader}. {(cls.__doc__ or '').strip()}", "",
                "| variable | default | meaning |", "|---|---|---|"]
        for s in settings_of(cls):
            meaning = s.meaning.replace("|", "\\|") or "—"
            out.append(f"| `{s.env}` | {s.default} | {meaning}{' (secret)' if s.secret else ''} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="generate docs/configuration.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run scripts/gen_config_docs.py")
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
