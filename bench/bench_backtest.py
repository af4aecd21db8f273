"""Benchmark: the rules editor's back-test of a keyword edit through the web, next to the CLI.

Targets (issue #15): over 100,000 stored notices, the first flipped notice on screen within 5 s
of pressing "Back-test", and the whole back-test within 1.2 × ``tenderwatch rules preview`` on
the same edit, measured in the same run.

1. A SQLite store of ``--n`` notices with their stored results under the rules in force:
   ``bench_classifier.fill_store`` (the builder's generated notices, fi/sv/en/et/de texts, lots,
   repeated with fresh identifiers; results as the service's classify step stores them), kept
   as ``var/bench/backtest-N.sqlite`` for ``--reuse``.
2. The web app in its own process (uvicorn, one worker, as ``bench_web.py`` starts it) over a
   copy of ``config/``. An admin is signed in with a session cookie signed by the app's key (the
   email link would need a mail server; the cookie is what the link's sign-in sets).
3. ``GET /admin/rules`` (which readies a warm back-test runner), ``--think`` seconds as an admin
   reads the page, then ``POST /admin/rules/backtest`` with the edit, reading the NDJSON stream
   as the page's script does: the time to the first event carrying a flipped notice, and to the
   ``done`` event. ``--think 0`` measures a runner still warming up.
4. ``tenderwatch rules preview CANDIDATE --since all`` on the same edit, in a fresh process as
   an admin runs it in a shell, timed from start to exit; then the ratio.

The edit: the Finnish base form "ratkaisu" added to ``new_solution``, a word in about half of
the generated notices (so the candidate is matched again there: the costly kind of edit).

    .venv/bin/python bench/bench_backtest.py --n 100000            # fill, measure, drop
    .venv/bin/python bench/bench_backtest.py --n 20000 --keep      # keep the store
    .venv/bin/python bench/bench_backtest.py --n 20000 --reuse     # and use it again

Not a timed test: it prints figures (and the machine's load, which they depend on).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import itsdangerous
from bench_classifier import fill_store, generated
from bench_web import _free_port, _wait_port

from db import migrate
from db.clock import utcnow
from db.models.alerts import Subscriber
from db.session import get_engine, session_scope
from monitor.classify import load_rules
from monitor.web.rules_yaml import apply_form, form_view

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-backtest-secret"
ADMIN = "admin@example.org"
CONCEPT, WORD = "new_solution", "ratkaisu"


def store(n: int, keep: bool, reuse: bool) -> tuple[str, str]:
    path = REPO / "var" / "bench" / f"backtest-{n}.sqlite"
    url = f"sqlite:///{path}"
    if reuse and path.exists():
        return url, f"reused {path}"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    migrate.upgrade(url)
    started = time.perf_counter()
    rules = load_rules(REPO / "config" / "innovation.yaml")
    fill_store(url, generated(2000), n, rules)
    get_engine(url).dispose()
    return url, f"filled in {time.perf_counter() - started:.0f} s" + ("" if keep else " (dropped after)")


def candidate_text() -> str:
    text = (REPO / "config" / "innovation.yaml").read_text(encoding="utf-8")
    view = form_view(text)
    assert view is not None
    kw = next(k for k in view.keywords if k.id == CONCEPT)
    fi = next(lt for lt in kw.langs if lt.lang == "fi")
    name = f"seq:keywords.{kw.index}.fi.lemma"
    return apply_form(text, [(name, t) for t in fi.terms["lemma"]] + [(name, WORD)])


def session_cookie(url: str) -> str:
    """The ``tw_session`` cookie of a signed-in admin (what monitor/web/context.py reads)."""
    from monitor.web.context import stamp

    with session_scope(url) as s:
        sub = s.query(Subscriber).filter_by(email=ADMIN).one_or_none()
        if sub is None:
            now = utcnow()
            sub = Subscriber(email=ADMIN, language="fi", created_at=now, updated_at=now)
            s.add(sub)
            s.flush()
        s.refresh(sub)
        data = {"uid": sub.id, "since": stamp(sub)}
    signed = itsdangerous.TimestampSigner(SECRET).sign(b64encode(json.dumps(data).encode()))
    return signed.decode()


def serve(url: str, port: int, config_dir: str) -> None:
    """The server process: the app as ``tenderwatch web --dev`` builds it, one uvicorn worker."""
    import uvicorn

    from monitor.service.confighold import ConfigHolder
    from monitor.settings import Settings
    from monitor.web import create_app

    settings = Settings(
        database_url=url,
        data_dir=REPO / "var" / "bench",
        config_dir=Path(config_dir),
        public_url=f"http://127.0.0.1:{port}",
        secret_key=SECRET,
    )  # type: ignore[arg-type]
    app = create_app(settings, ConfigHolder(Path(config_dir)).current, dev=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def through_the_web(url: str, candidate: str, think: float) -> dict[str, Any]:
    port = _free_port()
    config_dir = tempfile.mkdtemp(prefix="tw-bench-config-")
    shutil.copytree(REPO / "config", config_dir, dirs_exist_ok=True)
    env = dict(os.environ)
    env.pop("TENDERWATCH_CLOCK", None)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, "--port", str(port), "--config", config_dir], env=env
    )
    try:
        _wait_port(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            client.cookies.set("tw_session", session_cookie(url))
            page = client.get("/admin/rules")
            assert page.status_code == 200, page.status_code
            token = page.text.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
            time.sleep(think)
            out: dict[str, Any] = {"first_flip": None, "end": None, "events": 0}
            started = time.perf_counter()
            with client.stream(
                "POST", "/admin/rules/backtest", data={"text": candidate, "since": "all", "csrftoken": token}
            ) as resp:
                assert resp.status_code == 200, resp.read()
                for line in resp.iter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    out["events"] += 1
                    if event["event"] == "start":
                        out["start"] = time.perf_counter() - started
                    if event["event"] == "progress" and event["flips"] and out["first_flip"] is None:
                        out["first_flip"] = time.perf_counter() - started
                    if event["event"] == "done":
                        out["end"] = time.perf_counter() - started
                        out["scanned"], out["changed"] = event["scanned"], event["changed"]
                    if event["event"] == "error":
                        raise RuntimeError(event["message"])
            return out
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(config_dir, ignore_errors=True)


def through_the_cli(url: str, candidate: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candidate.yaml"
        path.write_text(candidate, encoding="utf-8")
        env = dict(os.environ, TENDERWATCH_DATABASE_URL=url, TENDERWATCH_CONFIG_DIR=str(REPO / "config"))
        env.pop("TENDERWATCH_CLOCK", None)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.cli",
                "rules",
                "preview",
                str(path),
                "--since",
                "all",
                "--limit",
                "1",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return time.perf_counter() - started, done.stdout.splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="stored notices")
    ap.add_argument(
        "--think", type=float, default=15.0, help="seconds between opening the editor and the back-test"
    )
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.config)
        return
    url, how = store(args.n, args.keep or args.reuse, args.reuse)
    print(f"back-test benchmark: {args.n:,} notices (SQLite, {how}); edit: {WORD!r} added to {CONCEPT} (fi)")
    candidate = candidate_text()
    try:
        web = through_the_web(url, candidate, args.think)
        cli_seconds, cli_line = through_the_cli(url, candidate)
    finally:
        if not (args.keep or args.reuse):
            path = REPO / "var" / "bench" / f"backtest-{args.n}.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"web: {web['scanned']:,} notices, {web['changed']:,} flip; {web['events']} events")
    print(f"  first event (start)        {web.get('start', 0):7.2f} s")
    print(f"  first flipped notice       {web['first_flip']:7.2f} s   (target < 5 s)")
    print(f"  whole back-test            {web['end']:7.2f} s")
    print(f"cli: {cli_line}")
    print(f"  rules preview, start to exit {cli_seconds:5.2f} s")
    print(f"web / cli                    {web['end'] / cli_seconds:7.2f}     (target <= 1.2)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
