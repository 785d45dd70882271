"""The HTTP edge: routes, request and response schemas, errors, limits, security, metrics."""

__all__: list[str] = []
