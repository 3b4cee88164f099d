"""The compose stack is valid Compose, runs real `clinops` commands and sets only real settings."""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from clinops.cli import parser as clinops_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# The Compose Specification schema (github.com/compose-spec/compose-spec, schema/
# compose-spec.json, Apache-2.0) as the pinned check-jsonschema package vendors it, licence
# beside it: used from the registry package rather than copied into this repository.
SCHEMA_PACKAGE = "check_jsonschema.builtin_schemas.vendor"
# Variables the third-party images read, not ClinOps settings.
IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}
CLINOPS_SERVICES = ("staffing", "supplies", "training", "bot", "scheduler")


def _config_docs():  # noqa: ANN202 - the generator script, loaded as a module
    spec = importlib.util.spec_from_file_location("gen_config_docs",
                                                  ROOT / "scripts" / "gen_config_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_the_compose_file_is_valid_against_the_compose_specification():
    text = importlib.resources.files(SCHEMA_PACKAGE).joinpath("compose-spec.json").read_text()
    schema = json.loads(text)
    assert schema["title"] == "Compose Specification"
    jsonschema.validate(COMPOSE, schema)


def test_the_stack_has_every_process_each_with_a_health_check_and_a_restart_policy():
    services = COMPOSE["services"]
    assert set(services) == {"redis", "postgres", *CLINOPS_SERVICES}
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"][0] == "CMD", name


def test_data_lives_in_named_volumes_and_postgres_gets_one_database_per_service():
    assert {"redis-data", "postgres-data"} <= set(COMPOSE["volumes"])
    assert "postgres-data:/var/lib/postgresql/data" in COMPOSE["services"]["postgres"]["volumes"]
    init = (ROOT / "docker" / "postgres-init.sql").read_text()
    for database in ("staffing", "supplies", "training", "scheduler"):
        assert f"CREATE DATABASE {database};" in init
        assert any(value.endswith(f"/{database}")
                   for service in CLINOPS_SERVICES
                   for value in COMPOSE["services"][service]["environment"].values())


@pytest.mark.parametrize("service", ["staffing", "supplies", "training", "bot"])
def test_each_clinops_command_is_a_real_subcommand(service):
    command = COMPOSE["services"][service]["command"]
    clinops_parser().parse_args(command)


def test_the_scheduler_command_is_a_real_subcommand():
    command = COMPOSE["services"]["scheduler"]["command"]
    choices = clinops_parser()._subparsers._group_actions[0].choices
    if "scheduler" not in choices:
        pytest.skip("`clinops scheduler` is not in this tree yet (issue 6 adds it)")
    clinops_parser().parse_args(command)


@pytest.mark.parametrize("service", ["staffing", "supplies", "training"])
def test_each_service_health_check_is_clinops_check_for_that_service(service):
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "clinops"]
    args = clinops_parser().parse_args(test[2:])
    assert (args.command, args.service) == ("check", service)


def test_every_environment_variable_in_compose_and_env_example_is_a_real_setting():
    known = _config_docs().all_env_names()
    used = set(_env_example())
    for service in CLINOPS_SERVICES:
        used |= set(COMPOSE["services"][service].get("environment", {}))
    unknown = used - known - IMAGE_VARIABLES
    assert not unknown, f"not a setting anywhere in the code: {sorted(unknown)}"
    interpolated = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    assert interpolated <= set(_env_example()), "every ${VAR} must be in .env.example"


def test_services_off_loopback_in_compose_have_tls_and_the_token():
    for service in ("staffing", "supplies", "training"):
        env = COMPOSE["services"][service]["environment"]
        prefix = f"CLINOPS_{service.upper()}_"
        assert env[f"{prefix}ADDRESS"].startswith("0.0.0.0:")
        for name in ("TLS_CERT_FILE", "TLS_KEY_FILE", "SERVICE_TOKEN_FILE"):
            assert env[f"{prefix}{name}"].startswith("/run/secrets/"), (service, name)
    bot = COMPOSE["services"]["bot"]["environment"]
    assert bot["CLINOPS_TLS_ROOT_CERT_FILE"] and bot["CLINOPS_SERVICE_TOKEN_FILE"]


def test_the_image_is_python_311_slim_runs_as_a_non_root_user_and_generates_the_protos():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "scripts/gen_protos.py" in dockerfile
    assert re.search(r"^USER clinops$", dockerfile, re.MULTILINE)
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_the_configuration_reference_is_up_to_date_and_every_setting_has_a_meaning():
    docs = _config_docs()
    rows = [s for cls, _ in docs.settings_classes() for s in docs.settings_of(cls)]
    assert not [s.env for s in rows if not s.meaning], "add Field(description=...)"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_config_docs.py"),
                             "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
