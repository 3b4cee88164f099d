"""Which layer may import which (issue 17): the shared kernel in clinops/ stands on nothing of
ours; bot/ and each service stand on the kernel only; the programs (console, demo, setup,
imports, the Slack stand-in, the CLI) stand on top of everything. An import against those arrows
fails the build, with the file and line."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The kernel every process shares: rpc, serving, storage, events, authorisation, the guard, and
# the code generated from protos/ (clinops.common and clinops.<service>.v1).
KERNEL = {"authz", "client_settings", "clock", "event_delivery", "free_text", "idempotency",
          "logs", "metrics", "outbox", "phi_guard", "rpc", "serving", "sql",
          "common", "staffing", "supplies", "training"}
PROGRAMS = {"check", "cli", "console", "demo", "site", "imports", "roster", "slack_standin"}
SERVICES = {"staffing", "supplies", "training"}
# Known arrows against the rules, each to be removed (issue 17), never added to.
KNOWN = {
    # /readyz reads the stack's targets from clinops.check's settings: they belong in the kernel.
    ("bot/server.py", "clinops.check"),
}


def layer(module: str) -> str | None:
    """'kernel', 'program', 'bot', 'service:<name>', or None for a module not of ours."""
    parts = module.split(".")
    if parts[0] == "clinops":
        if len(parts) == 1:
            return "kernel"
        return "kernel" if parts[1] in KERNEL else "program" if parts[1] in PROGRAMS else None
    if parts[0] == "bot":
        return "bot"
    if parts[0] == "services":
        return f"service:{parts[1]}" if len(parts) > 1 and parts[1] in SERVICES else "services"
    return None


def may_import(importer: str, imported: str) -> bool:
    if importer == "program" or imported == "kernel":
        return True
    return importer == imported


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, at any depth (an import inside a function counts too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def forbidden_imports(root: Path) -> list[str]:
    """`file:line imports module` for each import against the layers' arrows under `root`."""
    problems = []
    for top in ("clinops", "bot", "services"):
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if "/migrations/" in relative or relative.endswith(("_pb2.py", "_pb2_grpc.py")):
                continue
            importer = layer(".".join(path.relative_to(root).with_suffix("").parts))
            for line, module in imports_of(path):
                imported = layer(module)
                if (importer is None or imported is None or may_import(importer, imported)
                        or (relative, module) in KNOWN):
                    continue
                problems.append(f"{relative}:{line} imports {module} ({importer} → {imported})")
    return problems


def test_no_module_imports_against_the_layers() -> None:
    assert forbidden_imports(ROOT) == []


def test_a_kernel_module_importing_the_bot_or_a_service_fails_the_rule(tmp_path: Path) -> None:
    (tmp_path / "clinops").mkdir()
    (tmp_path / "clinops" / "rpc.py").write_text("import grpc\nfrom bot import app\n")
    (tmp_path / "services" / "supplies").mkdir(parents=True)
    (tmp_path / "services" / "supplies" / "store.py").write_text(
        "from clinops import sql\n\ndef f():\n    from services.staffing import store\n")
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "app.py").write_text("from clinops.console import Console\n")
    assert forbidden_imports(tmp_path) == [
        "clinops/rpc.py:2 imports bot (kernel → bot)",
        "bot/app.py:1 imports clinops.console (bot → program)",
        "services/supplies/store.py:4 imports services.staffing (service:supplies → "
        "service:staffing)",
    ]
