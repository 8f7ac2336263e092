"""Two app servers and two job workers on one PostgreSQL database and one Redis cache behave as one product
(issue 15, item 4; README "Operations", ADR 19).

The test makes its own database (``echelon_multi_…``) and seeds the small demo in child processes (migrate,
``seed_demo --scale small``, ``demo_campaign --no-history``: the campaign, its groups and assignments without
the simulated months, which cost a minute; ``demo_logins``), then starts two gunicorn servers (A on 8201,
B on 8202) and two ``echelon db_worker``s, DEBUG off. Each process has its own ``ECHELON_VAR_DIR``, as on
separate machines: what they share is what an operator shares between machines: the database, ``REDIS_URL``,
the uploads' folder (``ECHELON_MEDIA_DIR``) and ``SECRET_KEY``. One cookie jar per person, as a browser
behind a load balancer that sends each request to either server:

1. the village secretary logs in on A; on B uploads the preparation's plan (a PDF) and records the
   mobilisation meeting, on A closes the preparation (no gate); on B uploads the study phase's opinions and
   records the study meeting, on A submits it to the township's instructors;
2. the township's instructor (their group reviews the village) logs in on A, finds the submission on the
   workbench, opens the material through A (the very bytes uploaded through B, and the very bytes in the
   shared folder) and passes the phase; the decision shows on B, to the instructor and to the secretary;
3. the county office asks for the plan's Excel export four times on B: the two workers take the jobs, each
   job runs exactly once (one task result, run by one worker, the job succeeded), and each file comes down
   through A;
4. the shared cache: the public opinion form's per-address limit (5 posts in 10 minutes, counted in the
   cache) counts posts to A and B together: the sixth, wherever it goes, is refused with 429; the login
   lockout (django-axes) counts failures on both servers too.

Skipped on SQLite. Runs alone (not under xdist: the ports are fixed), in ``make test-postgres``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="several servers need PostgreSQL (DATABASE_URL)")

REDIS_URL = os.environ.get("ECHELON_MULTI_REDIS_URL", "redis://127.0.0.1:6379/5")
PORTS = {"A": 8201, "B": 8202}
PASSWORD = "Echelon-2014"  # the demo accounts' (echelon.demo.seed.DEMO_PASSWORD, printed by demo_logins)
VILLAGE = "150125100201"  # the village secretary's village (echelon.demo.seed.DEMO_ACCOUNTS)
CHILD_ENV_DROPPED = ("DATABASE_", "REDIS_", "ECHELON_", "PROMETHEUS_", "SECRET_KEY", "DEBUG", "DJANGO_")


# --- the servers ------------------------------------------------------------------------------------------


@dataclass
class Cluster:
    dsn: str
    media: Path
    urls: dict[str, str]
    processes: dict[str, Any] = field(default_factory=dict)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return list(conn.execute(query, params).fetchall())


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _maintenance(sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(DATABASE_URL, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)


def _run(name: str, args: list[str], env: dict[str, str], folder: Path, timeout: float = 600) -> str:
    """A child process to its end: its output, or the test fails with it."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    (folder / f"{name}.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, (
        f"{name} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )
    return done.stdout


def _healthy(url: str) -> bool:
    from echelon.testing import servers

    return (servers.health(url) or {}).get("status") == "ok"


# Without the simulated months the village starts its first phase today: the county office lets it close
# the study phase before its minimum days and before its township (campaigns.services.phase_rules_override,
# which has no page yet), as it would for a village that must go first.
SEED = f"""
import django
django.setup()
from django.core.management import call_command
call_command("seed_demo", scale="small")
call_command("demo_campaign", no_history=True)
call_command("demo_logins")
from echelon.accounts.models import User
from echelon.campaigns import services
from echelon.campaigns.models import Participation
services.phase_rules_override(
    actor=User.objects.get(username="county_office"),
    participation=Participation.objects.get(unit__code="{VILLAGE}"),
    phase_key="study",
    reason="县委活动办安排该村先行，为全县作示范。",
)
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    from echelon.testing import servers

    try:
        _redis().ping()
    except Exception as exc:  # any failure to reach it
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    name = f"echelon_multi_{os.getpid()}_{secrets.token_hex(3)}"
    began = time.monotonic()

    def lap(what: str) -> None:
        print(f"  {what}: {time.monotonic() - began:.1f} s")

    with contextlib.ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="echelon-multi-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        _redis().flushdb()
        stack.callback(lambda: _redis().flushdb())
        _maintenance(f'CREATE DATABASE "{name}"')
        stack.callback(_maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        media = folder / "media"
        media.mkdir()
        base = {k: v for k, v in os.environ.items() if not k.startswith(CHILD_ENV_DROPPED)}
        base.update(
            DATABASE_URL=_with_database(DATABASE_URL, name),
            REDIS_URL=REDIS_URL,
            SECRET_KEY=secrets.token_urlsafe(50),  # the same on every server (sessions, signed values)
            DEBUG="0",
            ECHELON_MEDIA_DIR=str(media),  # the one folder every server and worker mounts
            DJANGO_SETTINGS_MODULE="echelon.settings",
            LOG_LEVEL="WARNING",
            PYTHONDONTWRITEBYTECODE="1",
        )

        def env(who: str) -> dict[str, str]:  # its own var folder, as on a machine of its own
            var = folder / f"var-{who}"
            var.mkdir(exist_ok=True)
            return {**base, "ECHELON_VAR_DIR": str(var)}

        c = Cluster(dsn=base["DATABASE_URL"], media=media, urls={})
        _run(
            "migrate",
            [sys.executable, "-m", "echelon.manage", "migrate", "--noinput", "-v0"],
            env("seed"),
            folder,
        )
        lap("migrated")
        # the servers start while the demo is seeded (they only need the tables)
        for server, port in PORTS.items():
            process = servers.gunicorn(f"server-{server}", port, env(server), folder)
            stack.callback(servers.stop, process)
            c.processes[server] = process
            c.urls[server] = f"http://127.0.0.1:{port}"
        for worker in ("worker-1", "worker-2"):
            process = servers.db_worker(worker, env(worker), folder)
            stack.callback(servers.stop, process)
            c.processes[worker] = process
        logins = _run("seed", [sys.executable, "-c", SEED], env("seed"), folder)
        assert "village_secretary" in logins and "township_instructor" in logins, logins[-2000:]
        lap("seeded")
        everyone = list(c.processes.values())
        for url in c.urls.values():  # the database, the cache and a worker's heartbeat: all ok
            servers.wait_until(f"{url}/healthz", partial(_healthy, url), everyone)
        lap("two servers and two workers healthy")
        yield c
        for process in everyone:  # none died during the test
            assert process.alive(), f"{process.name} exited:\n{process.tail()}"


# --- a browser's bits: forms, log in --------------------------------------------------------------------


class _Forms(HTMLParser):
    """Every form of a page: its action and its fields' names and values (checked radios, textareas empty)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}))
        elif tag in ("input", "select", "textarea", "button") and self.forms and a.get("name"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                self.forms[-1][1].setdefault(a["name"], "")
            else:
                self.forms[-1][1][a["name"]] = a.get("value", "")


def form(html: str, to: str, **match: str) -> dict[str, str]:
    """The fields of the page's first form that posts to ``to`` and has the fields' values ``match``."""
    parser = _Forms()
    parser.feed(html)
    for target, fields in parser.forms:
        if target == to and all(fields.get(k) == v for k, v in match.items()):
            return fields
    raise AssertionError(f"no form posting to {to} with {match}: {parser.forms}")


def log_in(url: str, username: str, password: str = PASSWORD) -> Any:
    import requests

    person = requests.Session()
    page = person.get(f"{url}/accounts/login/", timeout=30)
    fields = form(page.text, "")
    fields.update(username=username, password=password)
    answer = person.post(f"{url}/accounts/login/", data=fields, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, f"{username} could not log in on {url}: {answer.status_code}"
    return person


def post(person: Any, url: str, page: str, action: str, data: dict[str, str], **kwargs: Any) -> Any:
    """Fill the form of ``page`` that posts to ``action`` (CSRF token included; the one for ``data``'s
    "action" if it names one) and send it to ``url``."""
    which = {"action": data["action"]} if "action" in data else {}
    fields = form(person.get(f"{url}{page}", timeout=30).text, action, **which)
    fields.update(data)
    return person.post(f"{url}{action}", data=fields, timeout=60, **kwargs)


def flashed(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", m).strip()
        for m in re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)
    ]


# --- the journey ------------------------------------------------------------------------------------------


@pytest.mark.multiserver
@needs_postgres
def test_one_product_on_two_servers_and_two_workers(cluster: Cluster) -> None:
    from echelon.supervision.tests import files

    A, B = cluster.urls["A"], cluster.urls["B"]
    began = time.monotonic()

    def lap(what: str) -> None:  # where the time goes, printed (pytest -s)
        print(f"  {what}: {time.monotonic() - began:.1f} s")

    today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()

    # 1. the village secretary: logs in on A, works on B, submits on A
    secretary = log_in(A, "village_secretary")
    home = secretary.get(f"{B}/", timeout=30)  # the session made by A is good on B
    assert home.status_code == 200 and "/accounts/login/" not in home.url
    unit_page = re.search(rf'href="(/supervision/(\d+)/u/{VILLAGE}/)"', home.text)
    assert unit_page, "the secretary's home page links their village's work"
    page, campaign = unit_page.group(1), int(unit_page.group(2))
    plan = files.pdf("Village plan for the mass line campaign")
    meeting = {
        "date": today.isoformat(),
        "half_day": "am",
        "place": "村委会会议室",
        "present": "21",
        "attendees": "党支部书记及全体党员",
        "minutes": "传达上级部署，学习党章，动员全体党员参加教育实践活动。",
    }
    fields = form(secretary.get(f"{B}{page}", timeout=30).text, f"{page}material/", action="plan")
    done = secretary.post(
        f"{B}{page}material/",
        data=fields,
        files={"file": ("活动安排.pdf", plan, "application/pdf")},
        timeout=60,
    )
    assert done.status_code == 200 and "已上传“活动安排.pdf”" in done.text, flashed(done.text)
    done = post(
        secretary,
        B,
        page,
        f"{page}meeting/",
        {**meeting, "action": "mobilize"},
    )
    assert "会议记录已保存" in done.text, flashed(done.text)
    done = post(secretary, A, page, f"{page}submit/", {"note": "准备环节完成"})
    assert "下一环节已开启" in done.text, flashed(done.text)  # the preparation has no gate
    # the study phase: the opinions gathered (a PDF, uploaded on B), the study meeting (on B); submitted on A
    opinions = files.pdf("Opinions gathered from 46 households")
    fields = form(secretary.get(f"{B}{page}", timeout=30).text, f"{page}material/", action="opinions")
    done = secretary.post(
        f"{B}{page}material/",
        data=fields,
        files={"file": ("入户走访征求意见汇总.pdf", opinions, "application/pdf")},
        timeout=60,
    )
    assert "已上传“入户走访征求意见汇总.pdf”" in done.text, flashed(done.text)
    done = post(secretary, B, page, f"{page}meeting/", {**meeting, "action": "study"})
    assert "会议记录已保存" in done.text, flashed(done.text)
    done = post(secretary, A, page, f"{page}submit/", {"note": "学习和征求意见已完成"})
    assert "等待" in done.text, flashed(done.text)
    [(review, material, stored)] = cluster.sql(
        "SELECT r.id, m.id, m.file FROM supervision_review r JOIN orgs_unit u ON u.id = r.unit_id"
        " JOIN supervision_material m ON m.participation_id = r.participation_id AND m.phase = r.phase"
        " WHERE u.code = %s AND r.state = 'open'",
        VILLAGE,
    )

    lap("secretary's work")

    # 2. the instructor reviews on A: the workbench, the very bytes uploaded through B, the decision
    instructor = log_in(A, "township_instructor")
    bench = instructor.get(f"{A}/supervision/workbench/", timeout=30)
    assert f"/supervision/reviews/{review}/" in bench.text, "the submission is on the instructor's workbench"
    review_page = instructor.get(f"{A}/supervision/reviews/{review}/", timeout=30)
    assert f"/supervision/materials/{material}/" in review_page.text
    download = instructor.get(f"{A}/supervision/materials/{material}/", timeout=60)
    assert download.status_code == 200 and download.content == opinions
    assert (cluster.media / stored).read_bytes() == opinions  # B wrote it into the shared folder
    decision = form(review_page.text, "")
    checks = [k for k in decision if k.startswith("check_")]
    assert checks, "the review asks for the phase's checks"
    decision.update({k: "pass" for k in checks})
    decision.update(decision="pass", comment="动员充分，同意进入下一环节。")
    decided = instructor.post(f"{A}/supervision/reviews/{review}/", data=decision, timeout=60)
    assert "审核决定已保存" in decided.text, flashed(decided.text)
    assert cluster.sql("SELECT state, decision FROM supervision_review WHERE id = %s", review) == [
        ("decided", "pass")
    ]
    seen = instructor.get(f"{B}/supervision/reviews/{review}/", timeout=30).text
    assert "动员充分，同意进入下一环节。" in seen and 'data-testid="decided"' in seen
    after = secretary.get(f"{B}{page}", timeout=30).text
    assert "动员充分，同意进入下一环节。" in after  # the decision in the unit's history, on B

    lap("review")

    # 3. jobs: four exports asked on B, run by the two workers, each once, fetched through A
    office = log_in(B, "county_office")
    asked = []
    for _n in range(4):
        answer = post(office, B, f"/campaigns/{campaign}/", f"/campaigns/{campaign}/export.xlsx", {})
        found = re.search(r"/jobs/([0-9a-f-]{36})/", answer.url)
        assert found, answer.url
        asked.append(found.group(1))
    from echelon.testing import servers

    def finished() -> bool:
        rows = cluster.sql(
            "SELECT count(*) FROM core_job WHERE id::text = ANY(%s) AND status IN ('succeeded', 'failed')",
            asked,
        )
        return rows[0][0] == len(asked)

    lap("exports asked")
    servers.wait_until("the export jobs", finished, list(cluster.processes.values()), timeout=120)
    workers_seen = set()
    for job in asked:
        status, result_file = cluster.sql("SELECT status, result_file FROM core_job WHERE id = %s", job)[0]
        assert status == "succeeded", job
        runs = cluster.sql(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult"
            " WHERE task_path = 'echelon.core.jobs.run_job' AND args_kwargs->'args'->>0 = %s",
            job,
        )
        assert len(runs) == 1 and runs[0][0] == "SUCCESSFUL" and len(runs[0][1]) == 1, runs
        workers_seen.update(runs[0][1])
        detail = office.get(f"{A}/jobs/{job}/", timeout=30)
        assert f"/jobs/{job}/download/" in detail.text
        file = office.get(f"{A}/jobs/{job}/download/", timeout=60)
        assert file.status_code == 200 and file.content[:2] == b"PK"  # an xlsx, written by a worker
        assert file.content == (cluster.media / result_file).read_bytes()
    assert workers_seen <= {"worker-1", "worker-2"}, workers_seen
    print(f"  the exports were run by: {sorted(workers_seen)}")

    lap("exports run and downloaded")

    # 4. the shared cache: the public form's per-address limit counts posts to A and B together
    public = f"/p/{VILLAGE}/"
    import requests

    visitor = requests.Session()
    fields = form(visitor.get(f"{A}{public}", timeout=30).text, "")
    fields.update(text="希望村里把通往学校的道路修一修，雨天孩子们上学很不方便。")
    if time.time() % 600 > 590:  # the limit's window is a fixed ten minutes: do not straddle two
        time.sleep(600 - time.time() % 600 + 0.5)
    statuses = [
        visitor.post(f"{(A, B)[n % 2]}{public}", data=fields, timeout=30, allow_redirects=False).status_code
        for n in range(6)
    ]
    # five counted (refused as sent too soon after the form was shown: nothing written), the sixth: 429
    assert statuses == [400, 400, 400, 400, 400, 429], statuses

    # and the login lockout (django-axes): five failures, on A and B in turn, lock the account on both
    def attempt(url: str, password: str) -> int:
        person = requests.Session()
        fields = form(person.get(f"{url}/accounts/login/", timeout=30).text, "")
        fields.update(username="outsider", password=password)
        return person.post(
            f"{url}/accounts/login/", data=fields, timeout=30, allow_redirects=False
        ).status_code

    failures = [attempt((A, B)[n % 2], "wrong-password") for n in range(5)]
    assert failures == [200, 200, 200, 200, 429], failures  # the form again, four times; the fifth locks
    assert attempt(B, PASSWORD) == 429 and attempt(A, PASSWORD) == 429  # the right password: still locked
    lap("shared cache and lockout")


# --- what the journey needed from the product (run everywhere, in the ordinary suite) --------------------


def test_the_redis_cache_has_its_client() -> None:
    """REDIS_URL selects Django's Redis cache, whose client is the package ``redis``: it was not installed,
    so every server given REDIS_URL answered 503 on /healthz and 500 on any page that used the cache."""
    from django.core.cache.backends.redis import RedisCacheClient

    client = RedisCacheClient([REDIS_URL])  # imports redis and makes the pool; connects on first use
    assert client.get_client(key="k").__module__.startswith("redis")


def test_the_uploads_folder_can_be_shared(tmp_path: Path) -> None:
    """Several machines mount one folder for the uploads (or use S3): ``ECHELON_MEDIA_DIR``; each keeps its
    own ``ECHELON_VAR_DIR``. It was always ``var/media`` inside the var folder."""
    script = "import echelon.settings as s; print(s.MEDIA_ROOT)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(CHILD_ENV_DROPPED)}
    shared, var = tmp_path / "shared", tmp_path / "var"
    env.update(ECHELON_MEDIA_DIR=str(shared), ECHELON_VAR_DIR=str(var), SECRET_KEY="x" * 50)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(shared)
    del env["ECHELON_MEDIA_DIR"]
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(var / "media")
