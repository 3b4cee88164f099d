"""Digest tests: the demo hospital's services on OS-chosen ports at a fixed time, the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clinops.clock import fixed_clock
from clinops.console import DemoServices, start_services
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import UPLOAD_METHOD, SlackStandIn

# Thursday 10:30 in San Francisco: the day shift of the demo hospital's "today".
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def hospital():  # noqa: ANN201
    return build_hospital(TODAY)


@pytest.fixture
def services(tmp_path: Path, hospital) -> Iterator[DemoServices]:  # noqa: ANN001
    running = start_services(data_dir=tmp_path / "services", hospital=hospital,
                             clock=fixed_clock(NOW))
    yield running
    running.stop()


@pytest.fixture
def slack(hospital) -> Iterator[SlackStandIn]:  # noqa: ANN001
    with SlackStandIn(team_id=hospital.team_id) as standin:
        yield standin


def shared_uploads(slack: SlackStandIn) -> list[dict]:
    """Each files_upload_v2 share: channel, text above the files, the files' titles."""
    import json

    shares = []
    for call in slack.calls("files.completeUploadExternal"):
        files = call.body.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        shares.append({"channel": call.body.get("channel_id"),
                       "text": call.body.get("initial_comment", ""),
                       "titles": [f.get("title") for f in files]})
    return shares


def uploaded_bytes(slack: SlackStandIn) -> list[bytes]:
    return [call.body["raw"] for call in slack.calls(UPLOAD_METHOD)]
