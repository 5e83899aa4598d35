"""`backoffice serve` as a real process: signed Slack requests over loopback, replies at the fake Web API."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.slack_api import fake_slack

from .conftest import SECRET, SlackEnv, payload

pytestmark = pytest.mark.model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_answers_a_signed_mention_over_http(tmp_path: Path) -> None:
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        port = _free_port()
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "BACKOFFICE_HOME": str(tmp_path / "home"),
            "BACKOFFICE_SLACK__BOT_TOKEN": "xoxb-test",
            "BACKOFFICE_SLACK__SIGNING_SECRET": SECRET,
            "BACKOFFICE_SLACK__API_URL": fake.url + "api/",
            "BACKOFFICE_SERVER__HOST": "127.0.0.1",
            "BACKOFFICE_SERVER__PORT": str(port),
        }
        # As an operator would: the schema first (serve never changes it), then the worker.
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"], env=env, check=True, capture_output=True
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            async with aiohttp.ClientSession() as session:
                await _wait_ready(session, port, process)
                slack = SlackEnv(fake, None, None, f"http://127.0.0.1:{port}/slack/events", session)  # type: ignore[arg-type]
                body = payload("events", "app_mention.bolt-python.json")
                body["event"]["text"] = "<@W23456789> how many vacation days do I get?"
                started = time.perf_counter()
                response = await slack.event(body)
                ack_ms = (time.perf_counter() - started) * 1000
                assert response.status == 200 and ack_ms < 3000
                # How soon the first answer comes after /readyz is a benchmark figure (slack_load),
                # not a timed test: on a busy machine it says nothing about the code.
                (posted,) = await fake.wait_for("chat.postMessage", timeout=30)
                assert posted["channel"] == "C111" and "25 working days" in posted["text"]
        finally:
            process.terminate()
            output = process.communicate(timeout=20)[0].decode()
        assert process.returncode == 0, output
        assert "Stopped." in output
        assert "slack: on, HTTP at /slack/events; cases to nowhere" in output
        assert "teams: off (teams.enabled is false)" in output
        assert "weekly digest: off" in output
        # serve logs JSON: every log line parses, none is an error, and the turn's carries the event's id
        logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert logged and not [r for r in logged if r["level"] in ("ERROR", "CRITICAL")]
        (turn,) = [r for r in logged if r["logger"] == "bot.turns"]
        assert turn["correlation_id"] == body["event_id"] and turn["outcome"] == "answered"


async def _wait_ready(session: aiohttp.ClientSession, port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.communicate()[0].decode())
        try:
            async with session.get(f"http://127.0.0.1:{port}/readyz") as r:
                if r.status == 200 and (await r.json())["ready"]:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError("backoffice serve did not become ready")


def test_a_contradictory_slack_configuration_stops_start_up_with_a_message(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BACKOFFICE_HOME": str(tmp_path / "home"),
        "BACKOFFICE_SLACK__BOT_TOKEN": "xoxb-test",
        "BACKOFFICE_SLACK__APP_TOKEN": "xapp-test",
        "BACKOFFICE_SLACK__MODE": "http",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "slack.mode is 'http' but slack.signing_secret is not set" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
