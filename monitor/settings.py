"""Runtime settings from environment variables (and a ``.env`` file), validated with pydantic.

Secrets (SMTP password, HILMA key) live here, never in the YAML under ``config/``.

Where things are, by default: ``./var`` (database, outbox, logs) and ``./config`` in the
working directory, as the README says. Where the working directory has no ``config/``, the
config files shipped with TenderWatch are used as they are (``tenderwatch init`` writes an
editable copy), so an installed ``tenderwatch`` runs anywhere with no set-up.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor import __version__

_PACKAGED_CONFIG = Path(__file__).resolve().parent / "default_config"
_CHECKOUT_CONFIG = Path(__file__).resolve().parent.parent / "config"


def shipped_config_dir() -> Path:
    """The default config files that come with TenderWatch.

    A wheel carries the repository's ``config/`` as ``monitor/default_config/`` (the
    ``package-dir`` mapping in ``pyproject.toml``); an editable install does not follow that
    mapping, so from a checkout it is the repository's ``config/`` itself. One copy either way.
    """
    return _PACKAGED_CONFIG if _PACKAGED_CONFIG.is_dir() else _CHECKOUT_CONFIG


def _default_data_dir() -> Path:
    return Path.cwd() / "var"


def _default_config_dir() -> Path:
    here = Path.cwd() / "config"
    return here if (here / "sources.yaml").exists() else shipped_config_dir()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TENDERWATCH_",
        env_file=".env",
        extra="ignore",  # a .env file may hold other tools' variables too
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir, description="SQLite file, outbox, logs, locks (default ./var)"
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    config_dir: Path = Field(
        default_factory=_default_config_dir,
        description="The admins' YAML files (default ./config, else the shipped defaults)",
    )

    smtp_host: str | None = Field(default=None, description="Unset: mail is written as .eml files")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_timeout: float = 30.0
    mail_from: str = "TenderWatch <tenderwatch@localhost>"
    public_url: str = Field(default="http://localhost:8000", description="Base of links in emails")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs links, sessions and forms; unset: generated once into data_dir "
        "(monitor.secretkey), never a public default",
    )

    hilma_subscription_key: SecretStr | None = Field(default=None, description="HILMA AVP read API key")
    ted_api_url: str = "https://api.ted.europa.eu"
    ted_site_url: str = "https://ted.europa.eu"
    hilma_api_url: str = "https://api.hankintailmoitukset.fi"
    contact_url: str = "https://github.com/tenderwatch/tenderwatch"

    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        # Absolute, so crawl children and `serve` started elsewhere find the same folders.
        self.data_dir = self.data_dir.expanduser().resolve()
        self.config_dir = self.config_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'tenderwatch.sqlite'}"
        return self

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def uses_shipped_config(self) -> bool:
        """True when no ``config/`` of the admins' own is in use (see :func:`shipped_config_dir`)."""
        return self.config_dir == shipped_config_dir().resolve()

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def user_agent(self) -> str:

        # The honest "compatible" crawler form: TED's WAF challenges other forms
        # (docs/ted.md#waf-challenge).
        return f"Mozilla/5.0 (compatible; tenderwatch/{__version__}; +{self.contact_url})"


@cache
def get_settings() -> Settings:
    return Settings()
