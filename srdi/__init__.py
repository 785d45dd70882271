"""Command line and settings shared by the SRDI scoring service's packages."""

__all__: list[str] = []
