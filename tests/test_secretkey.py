"""No public default key: the environment's key, or one generated once into the data folder."""

from __future__ import annotations

import stat
from pathlib import Path

from monitor.secretkey import KEY_FILE, secret_key
from monitor.settings import Settings


def test_without_a_key_one_is_generated_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", secret_key=None)
    key = secret_key(settings)
    path = tmp_path / "var" / KEY_FILE
    assert len(key) >= 60 and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another process (a restart, or the web beside the service) reads the same key from the file.
    import monitor.secretkey as sk

    sk._cache.clear()
    assert secret_key(Settings(data_dir=tmp_path / "var", secret_key=None)) == key
    assert secret_key(Settings(data_dir=tmp_path / "other", secret_key=None)) != key


def test_the_environment_key_wins_and_no_file_is_written(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TENDERWATCH_SECRET_KEY", "from-the-environment")
    settings = Settings(data_dir=tmp_path / "var")
    assert secret_key(settings) == "from-the-environment"
    assert not (tmp_path / "var" / KEY_FILE).exists()
