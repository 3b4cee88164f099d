"""Generate the Python gRPC modules from protos/ — the one code-generation path.

The output (clinops/<service>/v1/*_pb2*.py) is never edited and never committed; `make` reruns
this whenever a .proto file is newer than the last generation.
"""

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT
PACKAGES = ("common", "staffing", "supplies", "training")


def main() -> int:
    for package in PACKAGES:
        shutil.rmtree(ROOT / "clinops" / package, ignore_errors=True)
    sources = sorted(str(path.relative_to(PROTOS)) for path in PROTOS.rglob("*.proto"))
    well_known = Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--python_out={OUT}",
            f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}",
            *sources,
        ]
    )
    if status != 0:
        return status
    for package in PACKAGES:
        for folder in (ROOT / "clinops" / package, ROOT / "clinops" / package / "v1"):
            (folder / "__init__.py").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
