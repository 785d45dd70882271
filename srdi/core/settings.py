"""The one settings object of the service.

Values come from environment variables prefixed ``SRDI_`` (and a ``.env`` file
when present). Nothing here runs at import time: call :func:`load_settings` once at
the edge (CLI entry, app factory) and pass the object down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from features.rules import CurrencyRates

__all__ = [
    "CHAMPION_ALIAS",
    "REGISTERED_MODEL_NAME",
    "REGISTERED_MODEL_NAMES",
    "Settings",
    "load_settings",
]

REGISTERED_MODEL_NAME = "srdi-potential"
REGISTERED_MODEL_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "srdi_sme": REGISTERED_MODEL_NAME,
        "little_giant": "srdi-little-giant",
        "retention": "srdi-retention",
    }
)
"""The registered model of each target (DESIGN.md, "Model bundle")."""
CHAMPION_ALIAS = "champion"


class Settings(BaseSettings):
    """Configuration read from ``SRDI_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SRDI_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path("."), description="Project root; relative paths below resolve here."
    )
    data_dir: Path = Field(default=Path("data/world"), description="Default panel directory.")
    models_dir: Path = Field(default=Path("models"), description="Embedded MLflow store directory.")
    tracking_uri: str | None = Field(
        default=None,
        description=(
            "MLflow tracking URI; falls back to MLFLOW_TRACKING_URI, then the SQLite store."
        ),
    )
    registered_model: str = Field(
        default=REGISTERED_MODEL_NAME,
        description="Registered model of the srdi_sme target (next provincial SRDI).",
    )
    registered_model_little_giant: str = Field(
        default=REGISTERED_MODEL_NAMES["little_giant"],
        description="Registered model of the little_giant target (next Little Giant).",
    )
    registered_model_retention: str = Field(
        default=REGISTERED_MODEL_NAMES["retention"],
        description="Registered model of the retention target (kept at re-review).",
    )
    champion_alias: str = CHAMPION_ALIAS

    synth_firms: int = Field(default=20_000, ge=1)
    synth_seed: int = 7

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_key: str | None = Field(default=None, description="When set, /v1 routes require it.")
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    max_batch_records: int = Field(default=10_000, ge=1)
    max_upload_bytes: int = Field(default=200_000_000, ge=1024)
    max_upload_rows: int = Field(default=1_000_000, ge=1)
    max_upload_columns: int = Field(default=1_024, ge=1, description="Columns of an XLSX sheet.")
    max_xlsx_unpacked_bytes: int = Field(
        default=256 * 2**20,
        ge=1024,
        description="Sum of the uncompressed sizes of an XLSX upload's zip entries.",
    )
    max_xlsx_ratio: float = Field(
        default=100.0,
        ge=2.0,
        description="Largest compression ratio of one XLSX zip entry (bombs reach 1000).",
    )
    max_listed_errors: int = Field(
        default=1_000,
        ge=1,
        description="Row problems listed in a screen's response; the rest are counted.",
    )
    max_concurrent_screens: int = Field(
        default=2, ge=1, description="Uploads screened at once by one worker process."
    )
    screens_dir: Path = Field(
        default=Path("data/screens"),
        description="Where the page keeps screens for firm details (shared by every worker).",
    )
    screen_ttl_s: float = Field(
        default=3600.0, gt=0, description="A page screen is kept this long after last use."
    )
    max_screen_bytes_per_session: int = Field(
        default=512 * 2**20, ge=1024, description="Disk kept for one browser session's screens."
    )
    max_screen_bytes_total: int = Field(
        default=2 * 2**30, ge=1024, description="Disk kept for every session's screens."
    )
    reload_interval_s: float = Field(
        default=0.0, ge=0.0, description="0 turns the alias check off."
    )
    workers: int | None = Field(
        default=None, ge=1, description="Worker processes of `srdi serve`; unset: one per core."
    )
    runtime_dir: Path | None = Field(
        default=None,
        description=(
            "Files the workers of one `srdi serve` share (reload generation, worker states, "
            "Prometheus multiprocess values); set by `srdi serve` for its workers."
        ),
    )
    reload_wait_s: float = Field(
        default=120.0, gt=0, description="How long a reload waits for every worker to load."
    )
    drain_seconds: float = Field(
        default=0.0,
        ge=0.0,
        description=(
            "After SIGTERM, keep serving with /readyz at 503 this long (so a load balancer "
            "stops sending), then stop accepting and finish the requests in flight."
        ),
    )
    drift_window: int = Field(
        default=10_000,
        ge=100,
        description="Scored firms each worker keeps for the input-drift index on /metrics.",
    )
    access_log: bool = Field(default=True, description="One JSON line per request (srdi.access).")
    graceful_timeout_s: int = Field(
        default=30, ge=1, description="Longest wait for requests in flight at shutdown."
    )

    # CNY per unit of foreign currency, for the foreign schemes' thresholds.
    fx_eur: float = Field(default=7.8, gt=0)
    fx_jpy: float = Field(default=0.048, gt=0)
    fx_krw: float = Field(default=0.0052, gt=0)
    fx_usd: float = Field(default=7.2, gt=0)

    dask_scheduler: str | None = Field(
        default=None, description="Dask scheduler address; unset starts a LocalCluster."
    )
    dask_partition_rows: int = Field(
        default=250_000, ge=1, description="Target rows per batch-scoring partition."
    )
    dask_retries: int = Field(
        default=2, ge=0, description="Automatic retries of a failed batch-scoring partition."
    )

    @field_validator("api_key")
    @classmethod
    def _refuse_short_keys(cls, value: str | None) -> str | None:
        if value is not None and 0 < len(value) < 12:
            raise ValueError("SRDI_API_KEY must be at least 12 characters (or unset it)")
        return value or None

    def currency_rates(self) -> CurrencyRates:
        """The ``fx_*`` rates for the foreign schemes' thresholds (``features.rules``)."""
        from features.rules import CurrencyRates

        return CurrencyRates(eur=self.fx_eur, jpy=self.fx_jpy, krw=self.fx_krw, usd=self.fx_usd)

    def model_name(self, target: str) -> str:
        """The registered model that answers ``target`` (``srdi_sme``, ``little_giant``,
        ``retention``).

        Raises
        ------
        ValueError
            For another target.
        """
        names = {
            "srdi_sme": self.registered_model,
            "little_giant": self.registered_model_little_giant,
            "retention": self.registered_model_retention,
        }
        if target not in names:
            raise ValueError(f"unknown target {target!r}; expected one of {list(names)}")
        return names[target]

    def resolve(self, path: Path) -> Path:
        """Return ``path`` made absolute against :attr:`home`."""
        return path if path.is_absolute() else (self.home / path).resolve()

    @property
    def effective_tracking_uri(self) -> str:
        """Tracking URI in force: SRDI_TRACKING_URI, MLFLOW_TRACKING_URI, else SQLite."""
        if self.tracking_uri:
            return self.tracking_uri
        env = os.environ.get("MLFLOW_TRACKING_URI")
        if env:
            return env
        return f"sqlite:///{self.resolve(self.models_dir) / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        """Artifact root for the embedded store."""
        return self.resolve(self.models_dir) / "artifacts"


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; keyword overrides win over the environment."""
    return Settings(**overrides)  # type: ignore[arg-type]
