"""TenderWatch installed from a wheel, outside the checkout, in an empty folder.

The wheel must carry everything an installed ``tenderwatch`` needs (migrations, templates,
the default config, the demo), and the defaults must point at the working directory, not at
site-packages: ``init``, ``db upgrade`` and ``demo`` run there and write nothing elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_ROOTS = ("db", "scrapers", "monitor")
SHIPPED = (".py", ".j2", ".mako", ".js", ".css", ".svg", ".gz")
"""Suffixes of the files the code reads from its own packages."""


def _declared_packages() -> set[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return set(data["tool"]["setuptools"]["packages"])


def _package_dirs() -> set[str]:
    """Every folder under db/, scrapers/ and monitor/ that holds a module, a template or a data
    file the code reads (static web files, the CPV table)."""
    found = set()
    for root in PACKAGE_ROOTS:
        for path in (REPO / root).rglob("*"):
            if path.is_file() and path.suffix in SHIPPED and "__pycache__" not in path.parts:
                found.add(".".join(path.parent.relative_to(REPO).parts))
    return found


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    declared = _declared_packages()
    assert _package_dirs() - declared == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert declared - _package_dirs() == {"monitor.default_config"}  # the repository's config/, mapped


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the source, so the checkout gets no build/ or egg-info."""
    src = tmp / "src"
    ignore = shutil.ignore_patterns(".git", ".venv", "var", "build", "*.egg-info", "__pycache__", ".*cache")
    shutil.copytree(REPO, src, ignore=ignore)
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, src],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("tenderwatch-*.whl")
    return wheel


@pytest.mark.slow
def test_an_installed_wheel_inits_migrates_and_runs_the_demo_in_an_empty_folder(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    env_dir = folder / ".venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # Dependencies come from the suite's own environment (no network needed), appended after
    # the new venv's site-packages, so `monitor` is imported from the wheel, not the checkout.
    (site / "_tenderwatch_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_NO_CACHE_DIR": "1"},
    )
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENDERWATCH_", "XDG_", "MPL"))}
    env |= {"HOME": str(home), "TMPDIR": str(tmp), "TENDERWATCH_CLOCK": os.environ["TENDERWATCH_CLOCK"]}
    tenderwatch = env_dir / "bin" / "tenderwatch"

    def installed_files() -> set[Path]:
        return {p for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts}

    before = installed_files()

    def run(*args: str) -> str:
        done = subprocess.run([tenderwatch, *args], cwd=folder, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"tenderwatch {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    where = subprocess.check_output(
        [python, "-c", "import monitor; print(monitor.__file__)"], cwd=folder, env=env, text=True
    )
    assert where.startswith(str(site)), where  # the wheel's copy, not the checkout's

    assert "wrote" in run("init")
    assert sorted(p.name for p in (folder / "config").iterdir()) == sorted(
        p.name for p in (REPO / "config").glob("*.yaml")
    )
    run("config", "check")
    run("db", "upgrade")
    out = run("demo")
    print(out)
    assert "emails" in out or "outbox" in out, out
    assert (folder / "var" / "tenderwatch.sqlite").exists()
    assert list((folder / "var" / "outbox").glob("*.eml"))
    # Nothing outside the folder: the home and temp folders stay empty, and the installed
    # package gained no files but bytecode.
    assert list(home.rglob("*")) == []
    assert list(tmp.rglob("*")) == []
    assert installed_files() == before
