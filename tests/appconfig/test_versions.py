"""Config versions (issue #15, point 2): saves, edits found on disk, stale saves refused, rollback.

On SQLite and PostgreSQL, through the module the web's editors call
(``monitor/appconfig/versions.py``), against a copy of the shipped config folder.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditEntry
from db.models.configversions import ConfigVersionRow
from db.session import get_sessionmaker, session_scope
from monitor.appconfig import ConfigError, versions
from monitor.config import load_config

REPO = Path(__file__).resolve().parents[2]
FILE = "innovation.yaml"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def _edited(text: str) -> str:
    """The shipped rules and one comment more: valid, and a different version."""
    return text + "\n# raised by a test\n"


def test_first_look_records_the_file_and_a_save_writes_the_next_version(
    db_url: str, config_dir: Path
) -> None:
    original = (config_dir / FILE).read_text(encoding="utf-8")
    with session_scope(db_url) as session:
        first = versions.latest(session, config_dir, FILE)
    assert (first.number, first.author, first.text) == (1, versions.FROM_DISK, original)

    new_text = _edited(original)
    with session_scope(db_url) as session:
        saved = versions.save(
            session, config_dir, FILE, new_text, author="admin@example.fi", comment="why", base=1
        )
    assert saved.number == 2
    assert (config_dir / FILE).read_text(encoding="utf-8") == new_text
    load_config(config_dir)  # the written file is a valid config
    with get_sessionmaker(db_url)() as session:
        assert [v.number for v in versions.history(session, FILE)] == [2, 1]
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.target) == ("admin@example.fi", "config.save", FILE)
    assert entry.old == {"version": 1} and entry.new == {"version": 2, "comment": "why"}


def test_a_hand_edit_shows_up_in_the_history(db_url: str, config_dir: Path) -> None:
    with session_scope(db_url) as session:
        versions.latest(session, config_dir, FILE)
    path = config_dir / FILE
    path.write_text(_edited(path.read_text(encoding="utf-8")), encoding="utf-8")
    with session_scope(db_url) as session:
        head = versions.latest(session, config_dir, FILE)
        again = versions.latest(session, config_dir, FILE)
    assert (head.number, head.author, head.comment) == (2, versions.FROM_DISK, "")
    assert again.number == 2  # looking again records nothing new


def test_a_save_built_on_an_old_version_is_refused_with_the_other_change(
    db_url: str, config_dir: Path
) -> None:
    original = (config_dir / FILE).read_text(encoding="utf-8")
    with session_scope(db_url) as session:
        versions.latest(session, config_dir, FILE)
    with session_scope(db_url) as session:
        versions.save(
            session, config_dir, FILE, _edited(original), author="a@example.fi", comment="first", base=1
        )
    mine = original + "\n# my own edit\n"
    with session_scope(db_url) as session, pytest.raises(versions.StaleEdit) as refused:
        versions.save(session, config_dir, FILE, mine, author="b@example.fi", comment="second", base=1)
    assert refused.value.head.number == 2 and refused.value.head.author == "a@example.fi"
    assert "+# raised by a test" in refused.value.diff
    assert (config_dir / FILE).read_text(encoding="utf-8") == _edited(original)  # nothing overwritten
    with get_sessionmaker(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(ConfigVersionRow)) == 2


def test_two_saves_at_once_one_wins(db_url: str, config_dir: Path) -> None:
    """Two threads save on the same base at the same moment: one version 2, one StaleEdit, one file."""
    original = (config_dir / FILE).read_text(encoding="utf-8")
    with session_scope(db_url) as session:
        versions.latest(session, config_dir, FILE)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(who: str) -> None:
        barrier.wait()
        try:
            with session_scope(db_url) as session:
                versions.save(
                    session, config_dir, FILE, original + f"\n# {who}\n", author=who, comment="", base=1
                )
            outcomes[who] = "saved"
        except versions.StaleEdit:
            outcomes[who] = "refused"
        except Exception as exc:  # any other outcome fails the assertion below, with its reason
            outcomes[who] = f"error {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=save, args=(who,)) for who in ("a@example.fi", "b@example.fi")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["refused", "saved"], outcomes
    winner = next(who for who, outcome in outcomes.items() if outcome == "saved")
    assert (config_dir / FILE).read_text(encoding="utf-8").endswith(f"# {winner}\n")


def test_a_bad_text_is_refused_with_its_line_and_nothing_is_written(db_url: str, config_dir: Path) -> None:
    original = (config_dir / FILE).read_text(encoding="utf-8")
    bad = original.replace("thresholds:", "tresholds:", 1)
    assert bad != original
    with session_scope(db_url) as session:
        versions.latest(session, config_dir, FILE)
    with session_scope(db_url) as session, pytest.raises(ConfigError) as refused:
        versions.save(session, config_dir, FILE, bad, author="a@example.fi", comment="typo", base=1)
    line = original[: original.index("thresholds:")].count("\n") + 1
    assert any(p.line == line and "tresholds" in p.message for p in refused.value.problems), (
        refused.value.report()
    )
    assert (config_dir / FILE).read_text(encoding="utf-8") == original
    with get_sessionmaker(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(ConfigVersionRow)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_rollback_is_a_new_version_equal_to_the_old(db_url: str, config_dir: Path) -> None:
    original = (config_dir / FILE).read_text(encoding="utf-8")
    with session_scope(db_url) as session:
        versions.latest(session, config_dir, FILE)
    with session_scope(db_url) as session:
        versions.save(session, config_dir, FILE, _edited(original), author="a@example.fi", comment="", base=1)
    with session_scope(db_url) as session:
        back = versions.rollback(session, config_dir, FILE, 1, author="a@example.fi", base=2)
    assert (back.number, back.comment, back.text) == (3, "rollback to version 1", original)
    assert (config_dir / FILE).read_text(encoding="utf-8") == original


def test_only_the_browser_edited_files_are_versioned(db_url: str, config_dir: Path) -> None:
    with session_scope(db_url) as session, pytest.raises(ValueError, match="not versioned"):
        versions.latest(session, config_dir, "subscribers.yaml")
