"""The screening page: its routes and static assets, file screening, the session cache,
the upload preview and the flat export."""

__all__: list[str] = []
