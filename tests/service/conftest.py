"""Helpers for driving the service with short intervals against the loopback sources."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.demo.loopback import LoopbackSources, make_corpus
from monitor.settings import Settings

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


def write_config(
    directory: Path,
    *,
    ted_every: int | None = 2,
    send_every: int = 1,
    admins: tuple[str, ...] = ("admin@example.org",),
    **sources: Any,
) -> Path:
    """A copy of the shipped config with second-scale schedules (only TED enabled by default)."""
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(REPO_CONFIG, directory)
    src = {
        "ted": {
            "enabled": ted_every is not None,
            "schedule": {"every_seconds": ted_every or 60},
            "countries": ["FIN"],
            "download_delay": 0,
            "start_days_back": 10,
        },
        "ted_packages": {"enabled": False, "schedule": {"every_minutes": 60}},
        "hilma": {"enabled": False, "schedule": {"every_minutes": 60}},
    }
    src.update(sources)
    (directory / "sources.yaml").write_text(yaml.safe_dump(src))
    service = yaml.safe_load((directory / "service.yaml").read_text())
    service.update({"send_every_seconds": send_every, "admins": list(admins)})
    (directory / "service.yaml").write_text(yaml.safe_dump(service))
    return directory


@pytest.fixture
def fake_sources() -> Iterator[LoopbackSources]:
    with LoopbackSources(make_corpus(40, seed=7)) as fake:
        yield fake


@pytest.fixture
def service_settings(tmp_path: Path, sqlite_url: str, fake_sources: LoopbackSources) -> Settings:
    config = write_config(tmp_path / "config")
    return Settings(
        data_dir=tmp_path / "var",
        database_url=sqlite_url,
        config_dir=config,
        ted_api_url=fake_sources.url,
        ted_site_url=fake_sources.url,
    )


class RunningService:
    """A :class:`Service` on a background thread (signals are the main thread's, so off)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        from monitor.service.app import Service

        self.service = Service(settings, standby_poll=0.2, tick=0.2, **kwargs)
        self.thread = threading.Thread(
            target=self.service.run, kwargs={"install_signals": False}, daemon=True
        )

    def __enter__(self) -> RunningService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.service.stop()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "service did not stop within 60 s"


def eventually(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    from monitor.service.app import wait_until

    assert wait_until(lambda: bool(predicate()), timeout, step=0.2), f"timed out waiting for {what}"
    return predicate()
