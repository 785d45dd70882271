"""Command modules; each exposes ``register(app: typer.Typer) -> None``."""

__all__: list[str] = []
