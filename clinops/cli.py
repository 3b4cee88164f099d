"""`clinops`: serve a service, run the bot, or run the whole thing locally as a demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

SERVICES = ("staffing", "supplies", "training")


def _setting_problem(error: ValidationError) -> str:
    """One line naming the setting(s) at fault, as the environment spells them."""
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ()))
        reason = "is not set" if item.get("type") == "missing" else item.get("msg", "is invalid")
        # A check across settings (e.g. off-box TLS) names the variables in its own message.
        reason = reason.removeprefix("Value error, ")
        problems.append(f"{name.upper()} {reason}" if name else reason)
    return "configuration error: " + "; ".join(problems)


def _serve(service: str) -> None:
    if service == "staffing":
        from services.staffing.config import StaffingSettings
        from services.staffing.server import serve as serve_staffing

        serve_staffing(StaffingSettings())
    elif service == "supplies":
        from services.supplies.config import SuppliesSettings
        from services.supplies.server import serve as serve_supplies

        serve_supplies(SuppliesSettings())
    else:
        from services.training.config import TrainingSettings
        from services.training.server import serve as serve_training

        serve_training(TrainingSettings())


def _bot() -> None:
    import threading

    from bot.config import BotSettings
    from bot.notifier import process as notifier
    from bot.server import run
    from clinops.outbox import RelaySettings

    if RelaySettings().redis_url:
        # With Redis configured the bot also announces service events (its own event loop).
        threading.Thread(target=notifier.run, args=(notifier.NotifierSettings(),),
                         name="notifier", daemon=True).start()
    run(BotSettings())


def _notifier() -> None:
    from bot.notifier.process import NotifierSettings, run

    run(NotifierSettings())


def _scheduler() -> None:
    from bot.scheduler.config import SchedulerSettings
    from bot.scheduler.process import run

    run(SchedulerSettings())


def _demo() -> int:
    from clinops.console import main as demo_main

    return demo_main()


def _check(argv: Sequence[str]) -> int:
    from clinops.check import main as check_main

    return check_main(argv)


def _import(args: argparse.Namespace) -> int:
    from clinops.imports import main as import_main

    return import_main(args)


def _setup(args: argparse.Namespace) -> int:
    from clinops.site import main as setup_main

    return setup_main(args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="clinops", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run one gRPC service until SIGTERM")
    serve.add_argument("service", choices=SERVICES)
    commands.add_parser("bot", help="run the Slack bot (Socket Mode if SLACK_APP_TOKEN is set)")
    commands.add_parser(
        "scheduler", help="run the proactive jobs (one leader at a time, via a Redis lock)")
    commands.add_parser(
        "notifier", help="only announce service events from the Redis stream in Slack")
    commands.add_parser("demo", help="services, bot and a Slack stand-in, driven from stdin")
    check = commands.add_parser("check", help="state of every component; exit 1 if any is down")
    check.add_argument("--service", choices=SERVICES, help="only this service's gRPC health")
    imports = commands.add_parser(
        "import", help="a supply-cabinet, receiving-dock or roster CSV, or a certification "
                       "CSV/FHIR file, all or nothing")
    imports.add_argument("kind", choices=("supplies", "receipts", "training", "assignments"),
                         help="supplies: cabinet counts and consumption (CSV); receipts: "
                              "deliveries received against purchase orders (CSV); "
                              "training: certification records (CSV or FHIR JSON); "
                              "assignments: who works which unit's shift (CSV)")
    imports.add_argument("file", type=Path, help="docs/imports.md lists what is accepted")
    imports.add_argument("--as", dest="caller", metavar="SLACK_TEAM:SLACK_USER",
                         help="who imports; the service checks they may (e.g. T0CLINOPS:U0EDU001)")
    imports.add_argument("--deadline", type=float, default=30.0, metavar="SECONDS",
                         help="how long to wait for the service (default 30)")
    setup = commands.add_parser(
        "setup", help="load a site file (facilities, units, staff, supplies) into the services' "
                      "databases; docs/setup.md")
    setup.add_argument("file", type=Path, help="the site file (YAML), e.g. docs/samples/site.yml")
    setup.add_argument("--service", action="append", choices=SERVICES,
                       help="only this service's database (repeatable; default all three)")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clinops` console script."""
    args = parser().parse_args(argv)
    if args.command != "demo":
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # Alembic announces each of its plugins at INFO on every start; the migrations are enough.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    run: Callable[[], int | None] = {
        "serve": lambda: _serve(args.service),
        "bot": _bot,
        "scheduler": _scheduler,
        "notifier": _notifier,
        "demo": _demo,
        "check": lambda: _check(["--service", args.service] if args.service else []),
        "import": lambda: _import(args),
        "setup": lambda: _setup(args),
    }[args.command]
    try:
        return run() or 0
    except ValidationError as error:
        print(_setting_problem(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
