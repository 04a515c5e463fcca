"""Settings from ``MONITOR_*`` environment variables, overridable by command-line flags."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Process-wide settings; secrets belong in the environment, not in rule files."""

    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore")

    database_url: str = Field(default="sqlite:///monitor.db",
                              description="SQLAlchemy URL of the results database")
    rules: str = Field(default="rules/", description="rule file or folder")
    http: str = Field(default="127.0.0.1:9108", description="host:port of /healthz and /metrics")
    log_format: Literal["text", "json"] = "text"
    log_level: str | None = Field(default=None, description="default: INFO for the daemon, "
                                  "WARNING for one-shot commands")
    catch_up_limit: int = Field(default=24, ge=1,
                                description="most windows one monitor runs in one tick")
    dispatch_interval: float = Field(default=5.0, gt=0,
                                     description="seconds between outbox deliveries")
    # --- sources and windows ---
    # --- alerts and delivery ---
    # --- daemon ---

    @field_validator("http")
    @classmethod
    def _host_port(cls, value: str) -> str:
        _host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"MONITOR_HTTP must be host:port, got '{value}'")
        return value

    def http_address(self) -> tuple[str, int]:
        """``MONITOR_HTTP`` split into host and port."""
        host, _, port = self.http.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)
