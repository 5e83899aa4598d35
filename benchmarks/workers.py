"""Several `backoffice serve` workers on one PostgreSQL database, as production runs them behind a
round-robin balancer: real processes in Slack HTTP mode over one shared home (the index is built once,
before they start) with the local Slack Web API as their API base URL.

Load: signed `message.im` events (1,000 by default, 50 in flight), round-robin across the workers, 20 %
of them delivered again as Slack's retry to ANOTHER worker. Every event must be answered exactly once
(chat.postMessage counted per event at the fake API); acknowledgement latency, answers per second until the
last answer and each worker's peak RSS are measured for every worker count, side by side in one run.
Soak (`--soak-minutes`): a steady rate with each worker's RSS sampled every minute; after the warm-up the
growth must stay under 10 %.

Usage: python -m benchmarks.workers [--workers 1,2] [--events N] [--concurrency C] [--retries SHARE] [--json]
       python -m benchmarks.workers --soak-minutes 30 --rate R [--warmup-minutes 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import aiohttp  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

from benchmarks._corpora import require_shared  # noqa: E402
from benchmarks.slack_load import QUESTIONS, SECRET, _event, _post  # noqa: E402
from bot.store import Database  # noqa: E402
from knowledge._evaluation import percentile  # noqa: E402
from tests.fakes.slack_api import FakeSlack, fake_slack  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EMPLOYEES = 5_000  # each event comes from one of them, so no one person meets a per-user rate limit
READY_TIMEOUT_S = 240


@dataclass
class Traffic:
    """What was sent to the workers and what they posted at the fake Slack API."""

    events: int
    deliveries: int
    statuses: dict[int, int]
    acks_ms: list[float]
    answers_s: list[float]  # from an event's first delivery to its answer at the Slack API
    answered: int
    duplicates: dict[str, int]  # event channel -> chat.postMessage count, where more than one
    strays: int  # posts to channels no event came from
    seconds_to_last_answer: float
    seconds_to_send: float = 0.0  # the load: until the last delivery was acknowledged
    backlog: list[int] = field(default_factory=list)  # the soak: events waiting for an answer, each minute

    @property
    def exactly_once(self) -> bool:
        return self.answered == self.events and not self.duplicates and not self.strays

    def summary(self) -> dict[str, Any]:
        acks = self.acks_ms or [0.0]
        answers = self.answers_s or [0.0]
        return {
            **{k: v for k, v in asdict(self).items() if k not in ("acks_ms", "answers_s")},
            "answer_p50_s": round(percentile(answers, 50), 1),
            "answer_p99_s": round(percentile(answers, 99), 1),
            "exactly_once": self.exactly_once,
            "ack_p50_ms": percentile(acks, 50),
            "ack_p99_ms": percentile(acks, 99),
            "ack_max_ms": round(max(acks), 1),
            "answers_per_s": round(self.answered / self.seconds_to_last_answer, 2)
            if self.seconds_to_last_answer
            else 0.0,
        }


@dataclass
class WorkerReport:
    ready_s: float
    peak_rss_mib: float
    rss_mib: list[float] = field(default_factory=list)  # the soak's samples, one a minute
    log_problems: list[str] = field(default_factory=list)  # ERROR lines and tracebacks, the first few
    log_problem_count: int = 0
    exit_code: int | None = None


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    ready_s: float = 0.0

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def memory_mib(self, kind: str = "VmRSS") -> float:
        """Resident memory now (VmRSS) or at its peak so far (VmHWM), from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(kind + ":"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError(f"no {kind} for process {self.process.pid}")

    def report(self) -> WorkerReport:
        lines = self.log.read_text(errors="replace").splitlines()
        problems = [line for line in lines if _is_a_problem(line)]
        return WorkerReport(
            self.ready_s,
            0.0,
            log_problems=problems[:5],
            log_problem_count=len(problems),
            exit_code=self.process.returncode,
        )


def _is_a_problem(line: str) -> bool:
    """An ERROR or CRITICAL log line (JSON or plain text) or the start of a traceback."""
    try:
        record = json.loads(line)
    except ValueError:
        return " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
    return isinstance(record, dict) and record.get("level") in ("ERROR", "CRITICAL")


@contextmanager
def private_schema(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server, dropped afterwards; yields a URL whose search_path is it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(home: Path, database_url: str, api_url: str, port: int | None) -> dict[str, str]:
    """A worker's configuration, as an operator gives it: BACKOFFICE_* variables and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    if port is not None:
        env["BACKOFFICE_SERVER__PORT"] = str(port)
    return env | {
        "HF_HUB_OFFLINE": "1",
        "BACKOFFICE_HOME": str(home),
        "BACKOFFICE_DATABASE_URL": database_url,
        "BACKOFFICE_SLACK__BOT_TOKEN": "xoxb-bench",
        "BACKOFFICE_SLACK__SIGNING_SECRET": SECRET,
        "BACKOFFICE_SLACK__API_URL": api_url,
        "BACKOFFICE_SERVER__HOST": "127.0.0.1",
    }


async def prepare(env: dict[str, str]) -> None:
    """The schema at its newest revision and the index in the shared home, before any worker starts (the
    first call builds the index; later ones find nothing changed)."""
    await asyncio.to_thread(_migrate, env["BACKOFFICE_DATABASE_URL"])
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "reindex"], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"backoffice reindex failed:\n{done.stdout}{done.stderr}")


def _migrate(url: str) -> None:
    database = Database(url)
    try:
        database.migrate()
    finally:
        database.dispose()


@asynccontextmanager
async def running_workers(
    count: int, environment: Callable[[int | None], dict[str, str]], logs: Path
) -> AsyncIterator[list[Worker]]:
    """`count` real `backoffice serve` processes, started together and ready (/readyz 200) when yielded;
    stopped with SIGTERM afterwards, as an orchestrator stops them."""
    logs.mkdir(parents=True, exist_ok=True)
    workers: list[Worker] = []
    started = time.perf_counter()
    try:
        for n in range(count):
            port = _free_port()
            log = logs / f"worker-{n + 1}-{port}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot", "serve"],
                    env=environment(port),
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            workers.append(Worker(process, port, log))
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(_wait_ready(session, w, started) for w in workers))
        yield workers
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in workers:
            await asyncio.to_thread(_reap, worker.process)


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _wait_ready(session: aiohttp.ClientSession, worker: Worker, started: float) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"a worker exited with {worker.process.returncode}:\n{worker.log.read_text()}")
        try:
            async with session.get(f"http://127.0.0.1:{worker.port}/readyz") as response:
                if response.status == 200:
                    worker.ready_s = round(time.perf_counter() - started, 1)
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError(f"a worker was not ready after {READY_TIMEOUT_S} s:\n{worker.log.read_text()}")


class Delivery(NamedTuple):
    channel: str  # one direct-message channel per event: its answers are counted there
    body: str
    url: str
    retry: int | None


class Sender:
    """Signs and delivers events round-robin: event n to worker n mod N, its retry to the next worker."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        workers: list[Worker],
        template: dict[str, Any],
        retry_share: float,
    ) -> None:
        self.session, self.workers, self.template = session, workers, template
        self.retry_share = retry_share
        self.verifier = SignatureVerifier(SECRET)
        self.acks_ms: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.deliveries = 0
        self.asked_at: dict[str, float] = {}  # channel -> when its event was first sent (monotonic)

    def plan(self, n: int) -> list[Delivery]:
        asker = {**self.template, "event": {**self.template["event"], "user": f"W{n % EMPLOYEES:05d}"}}
        channel = f"D{n}"
        body = _event(asker, f"EvWorkers{n}", QUESTIONS[n % len(QUESTIONS)], channel, n)
        first = n % len(self.workers)
        planned = [Delivery(channel, body, self.workers[first].events_url, None)]
        if int((n + 1) * self.retry_share) > int(n * self.retry_share):  # an even spread of the share
            planned.append(
                Delivery(channel, body, self.workers[(first + 1) % len(self.workers)].events_url, 1)
            )
        return planned

    async def deliver(self, delivery: Delivery) -> None:
        sent_at = time.perf_counter()
        self.asked_at.setdefault(delivery.channel, time.monotonic())
        self.deliveries += 1
        status = await _post(self.session, delivery.url, self.verifier, delivery.body, delivery.retry)
        self.statuses[status] += 1
        self.acks_ms.append((time.perf_counter() - sent_at) * 1000)


async def _answers(fake: FakeSlack, sender: Sender, started: float, timeout_s: float) -> Traffic:
    """Waits until every event sent is answered (or `timeout_s` passes, or answers stop coming for a
    minute once they began), then a little longer for late duplicates, and counts the answers per event.
    The first answers may come late: a worker's turns share its CPU, so a queue of them ends together."""
    wanted = sender.asked_at

    def posts() -> list[tuple[str, float]]:
        return [(str(c.args.get("channel")), c.at) for c in fake.calls if c.method == "chat.postMessage"]

    deadline, last_count, last_change, shown = started + timeout_s, 0, time.monotonic(), time.monotonic()
    while (now := time.monotonic()) < deadline:
        answered = len({channel for channel, _ in posts() if channel in wanted})
        if answered == len(wanted) or (last_count and answered == last_count and now - last_change > 60):
            break
        if answered != last_count:
            last_count, last_change = answered, now
        if now - shown > 30:
            print(
                f"  {answered}/{len(wanted)} answered after {now - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            shown = now
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # a second post of the same answer would show up now
    found = posts()
    per_event = Counter(channel for channel, _ in found if channel in wanted)
    first_post: dict[str, float] = {}
    for channel, at in found:
        first_post.setdefault(channel, at)
    return Traffic(
        events=len(wanted),
        deliveries=sender.deliveries,
        statuses=dict(sender.statuses),
        acks_ms=sender.acks_ms,
        answers_s=[first_post[c] - wanted[c] for c in per_event],
        answered=len(per_event),
        duplicates={c: k for c, k in per_event.items() if k > 1},
        strays=sum(1 for channel, _ in found if channel not in wanted),
        seconds_to_last_answer=round(max((first_post[c] for c in per_event), default=started) - started, 2),
    )


async def _load(sender: Sender, fake: FakeSlack, events: int, concurrency: int) -> Traffic:
    gate = asyncio.Semaphore(concurrency)

    async def send(delivery: Delivery) -> None:
        async with gate:
            await sender.deliver(delivery)

    started = time.monotonic()
    await asyncio.gather(*(send(d) for n in range(events) for d in sender.plan(n)))
    sent_s = time.monotonic() - started
    traffic = await _answers(fake, sender, started, timeout_s=120 + events)
    traffic.seconds_to_send = round(sent_s, 2)
    return traffic


@dataclass
class Fleet:
    fake: FakeSlack
    workers: list[Worker]
    template: dict[str, Any]
    reports: list[WorkerReport] = field(default_factory=list)  # filled in once the workers have stopped


@asynccontextmanager
async def fleet(
    count: int, *, database_url: str, home: Path, shared: Path, name: str
) -> AsyncIterator[Fleet]:
    """The fake Slack API, the schema and the index prepared, `count` workers ready; each worker's report
    (peak RSS, log problems, exit code) is filled in when they have stopped."""
    auth, template = _payloads(shared)
    async with fake_slack(auth) as fake:
        environment = _environment_for(home, database_url, fake)
        await prepare(environment(None))
        async with running_workers(count, environment, home / "logs" / name) as running:
            fake.calls.clear()  # start-up calls (auth.test) are not answers
            crew = Fleet(fake, running, template)
            yield crew
            peaks = [w.memory_mib("VmHWM") for w in running]
        crew.reports = [w.report() for w in running]
    for report, peak in zip(crew.reports, peaks, strict=True):
        report.peak_rss_mib = peak


async def measure_load(
    workers: int,
    *,
    database_url: str,
    home: Path,
    shared: Path,
    events: int = 1_000,
    concurrency: int = 50,
    retry_share: float = 0.2,
) -> tuple[Traffic, list[WorkerReport]]:
    """The load run for one worker count over an empty (or migrated) database."""
    async with (
        fleet(workers, database_url=database_url, home=home, shared=shared, name=f"load-{workers}") as crew,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session,
    ):
        sender = Sender(session, crew.workers, crew.template, retry_share)
        traffic = await _load(sender, crew.fake, events, concurrency)
    return traffic, crew.reports


async def measure_soak(
    workers: int,
    *,
    database_url: str,
    home: Path,
    shared: Path,
    minutes: float,
    rate: float,
    retry_share: float = 0.2,
) -> tuple[Traffic, list[WorkerReport]]:
    """`rate` events a second for `minutes`, each worker's RSS sampled when ready and then every minute."""
    samples: list[list[float]] = []
    backlog: list[int] = []
    async with (
        fleet(workers, database_url=database_url, home=home, shared=shared, name=f"soak-{workers}") as crew,
        aiohttp.ClientSession() as session,
    ):
        sender = Sender(session, crew.workers, crew.template, retry_share)
        started = time.monotonic()
        sampler = asyncio.create_task(_sample(crew.workers, crew.fake, sender, minutes, samples, backlog))
        await _steady(sender, minutes, rate)
        await sampler
        traffic = await _answers(crew.fake, sender, started, timeout_s=minutes * 60 + 300)
        traffic.backlog = backlog
    for n, report in enumerate(crew.reports):
        report.rss_mib = [row[n] for row in samples]
    return traffic, crew.reports


async def _sample(
    workers: list[Worker],
    fake: FakeSlack,
    sender: Sender,
    minutes: float,
    samples: list[list[float]],
    backlog: list[int],
) -> None:
    """Each worker's RSS at minute 0, 1, … up to the end of the soak, and how many events then waited
    for their answer."""
    started = time.monotonic()
    for minute in [*range(math.ceil(minutes)), minutes]:
        await asyncio.sleep(max(0.0, started + 60 * minute - time.monotonic()))
        samples.append([w.memory_mib() for w in workers])
        answered = {c.args.get("channel") for c in fake.calls if c.method == "chat.postMessage"}
        backlog.append(len(set(sender.asked_at) - answered))


async def _steady(sender: Sender, minutes: float, rate: float) -> None:
    """Starts event n at n / rate seconds, whatever the earlier ones are doing."""
    started, n, flying = time.monotonic(), 0, set()
    while (due := started + n / rate) < started + minutes * 60:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        for delivery in sender.plan(n):
            task = asyncio.create_task(sender.deliver(delivery))
            flying.add(task)
            task.add_done_callback(flying.discard)
        n += 1
    await asyncio.gather(*flying)


def _environment_for(
    home: Path, database_url: str, fake: FakeSlack
) -> Callable[[int | None], dict[str, str]]:
    return lambda port: _environment(home, database_url, fake.url + "api/", port)


def _payloads(shared: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    auth = json.loads((shared / "slack-payloads" / "web_api" / "auth.test.bot.json").read_text())
    template = json.loads((shared / "slack-payloads" / "events" / "message_im.bolt-python.json").read_text())
    return auth, template


def growth(rss_mib: list[float], warmup_minutes: int) -> float | None:
    """RSS growth from the end of the warm-up to the end of the soak, as a share."""
    if len(rss_mib) <= warmup_minutes + 1:
        return None
    return round((rss_mib[-1] - rss_mib[warmup_minutes]) / rss_mib[warmup_minutes], 4)


def _load_table(
    results: dict[int, tuple[Traffic, list[WorkerReport]]], events: int, concurrency: int
) -> Table:
    table = Table(title=f"{events} signed Slack events, {concurrency} in flight, round-robin")
    table.add_column("measure")
    for n in results:
        table.add_column(f"{n} worker{'s' if n > 1 else ''}", justify="right")
    table.add_column("target")
    summaries = {n: (t.summary(), r) for n, (t, r) in results.items()}
    rows: list[tuple[str, Callable[[dict[str, Any], list[WorkerReport]], str], str]] = [
        ("deliveries (retries)", lambda s, r: f"{s['deliveries']} ({s['deliveries'] - s['events']})", ""),
        ("HTTP statuses", lambda s, r: ", ".join(f"{k} × {v}" for k, v in s["statuses"].items()), ""),
        ("answered", lambda s, r: f"{s['answered']} / {s['events']}", "all"),
        ("posted twice or more", lambda s, r: str(len(s["duplicates"]) + s["strays"]), "0"),
        ("exactly once", lambda s, r: "yes" if s["exactly_once"] else "NO", "yes"),
        ("ack p50 / p99 (ms)", lambda s, r: f"{s['ack_p50_ms']:.0f} / {s['ack_p99_ms']:.0f}", "p99 < 1000"),
        ("ack max (ms)", lambda s, r: f"{s['ack_max_ms']:.0f}", "< 3000"),
        ("all acknowledged after (s)", lambda s, r: f"{s['seconds_to_send']:.1f}", ""),
        ("answer after asking p50 / p99 (s)", lambda s, r: f"{s['answer_p50_s']} / {s['answer_p99_s']}", ""),
        ("last answer after (s)", lambda s, r: f"{s['seconds_to_last_answer']:.1f}", ""),
        ("throughput (answers/s)", lambda s, r: f"{s['answers_per_s']:.2f}", "report"),
        ("ready after start (s)", lambda s, r: " / ".join(f"{w.ready_s:.0f}" for w in r), ""),
        ("peak RSS per worker (MiB)", lambda s, r: " / ".join(f"{w.peak_rss_mib:.0f}" for w in r), "report"),
        ("worker log ERROR lines", lambda s, r: " / ".join(str(w.log_problem_count) for w in r), "0"),
    ]
    for label, cell, target in rows:
        table.add_row(label, *(cell(s, r) for s, r in summaries.values()), target)
    return table


def _soak_table(traffic: Traffic, reports: list[WorkerReport], minutes: float, warmup: int) -> Table:
    s = traffic.summary()
    table = Table(
        title=f"soak: {traffic.events} events in {minutes:g} min, {s['answered']} answered, "
        f"exactly once: {'yes' if s['exactly_once'] else 'NO'}; "
        f"ack p50 {s['ack_p50_ms']:.0f} ms, p99 {s['ack_p99_ms']:.0f} ms; "
        f"answer p50 {s['answer_p50_s']} s, p99 {s['answer_p99_s']} s"
    )
    table.add_column("minute", justify="right")
    for n in range(len(reports)):
        table.add_column(f"worker {n + 1} RSS (MiB)", justify="right")
    table.add_column("events awaiting an answer", justify="right")
    points = [*range(math.ceil(minutes)), minutes]
    for row, minute in enumerate(points[: len(traffic.backlog)]):
        table.add_row(f"{minute:g}", *(f"{r.rss_mib[row]:.0f}" for r in reports), str(traffic.backlog[row]))
    changes = [growth(r.rss_mib, warmup) for r in reports]
    table.add_row(
        f"growth after {warmup} min", *("—" if g is None else f"{g:+.1%}" for g in changes), "", style="bold"
    )
    table.add_row("peak RSS (MiB)", *(f"{r.peak_rss_mib:.0f}" for r in reports), "")
    return table


async def run(args: argparse.Namespace) -> bool:
    shared = require_shared()
    counts = [int(n) for n in args.workers.split(",")]
    console = Console(stderr=args.json)
    outcome: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        # One home for every worker and every run: the index is shared; worker logs are kept in logs/.
        home = args.home or Path(tmp) / "home"
        results: dict[int, tuple[Traffic, list[WorkerReport]]] = {}
        measure = (
            partial(measure_soak, minutes=args.soak_minutes, rate=args.rate)
            if args.soak_minutes
            else partial(measure_load, events=args.events, concurrency=args.concurrency)
        )
        for n in [max(counts)] if args.soak_minutes else counts:
            with private_schema(args.database) as url:  # a fresh database for each run
                results[n] = await measure(
                    n, database_url=url, home=home, shared=shared, retry_share=args.retries
                )
            traffic, reports = results[n]
            outcome[str(n)] = {**traffic.summary(), "workers": [asdict(r) for r in reports]}
            if args.soak_minutes:
                outcome[str(n)]["growth_after_warmup"] = [
                    growth(r.rss_mib, args.warmup_minutes) for r in reports
                ]
            for line in (line for r in reports for line in r.log_problems):
                console.print(f"[yellow]worker log ({n}):[/] {line}")
    if args.soak_minutes:
        console.print(_soak_table(*results[max(counts)], args.soak_minutes, args.warmup_minutes))
    else:
        console.print(_load_table(results, args.events, args.concurrency))
    if args.json:
        print(json.dumps(outcome, indent=2))
    return all(traffic.exactly_once for traffic, _ in results.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, e.g. 1,2")
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--retries", type=float, default=0.2, help="share of events delivered twice")
    parser.add_argument("--soak-minutes", type=float, default=0, help="run the soak instead of the load")
    parser.add_argument("--rate", type=float, default=1.0, help="soak: events per second")
    parser.add_argument("--warmup-minutes", type=int, default=5, help="soak: growth is measured after it")
    parser.add_argument(
        "--database", default=ADMIN_URL, help="PostgreSQL URL; a private schema is made in it"
    )
    parser.add_argument("--home", type=Path, help="keep the shared home (index, worker logs) here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
