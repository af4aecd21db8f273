"""Runtime settings from environment variables (and a ``.env`` file), validated with pydantic.

Secrets (SMTP password, HILMA key) live here, never in the YAML under ``config/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TENDERWATCH_",
        env_file=".env",
        extra="ignore",  # a .env file may hold other tools' variables too
    )

    data_dir: Path = Field(default=PROJECT_ROOT / "var", description="SQLite file, outbox, raw cache, locks")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    config_dir: Path = Field(default=PROJECT_ROOT / "config", description="The admins' YAML files")

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
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'tenderwatch.sqlite'}"
        return self

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def user_agent(self) -> str:
        from monitor import __version__

        # The honest "compatible" crawler form: TED's WAF challenges other forms
        # (docs/ted.md#waf-challenge).
        return f"Mozilla/5.0 (compatible; tenderwatch/{__version__}; +{self.contact_url})"


@cache
def get_settings() -> Settings:
    return Settings()
