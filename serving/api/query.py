"""Query strings hold only the parameters a route declares, each at most once.

FastAPI ignores a query parameter it does not know and keeps the last of repeated
ones, so ``?explian=false`` (a typo) would score with reasons and say nothing. Routes
built with ``route_class=StrictQueryRoute`` refuse both (422 naming the parameter),
which is also what the OpenAPI document says: parameters not listed are not accepted.

The check lives in the route's handler (FastAPI's documented custom-route pattern)
rather than in a dependency: it runs only when there is a query string, and costs
nothing on a request without one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from serving.api.errors import BadInputError

__all__ = ["StrictQueryRoute"]


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of a route and of every dependency under it."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class StrictQueryRoute(APIRoute):
    """An ``APIRoute`` that refuses unknown and repeated query parameters (422)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = frozenset(_query_names(self.dependant))
        listed = ", ".join(sorted(known)) or "none"

        async def strict_handler(request: Request) -> Response:
            if request.scope["query_string"]:
                query = request.query_params
                for name in query:
                    if name not in known:
                        raise BadInputError(
                            f"unknown query parameter {name[:40]!r}; this route takes: {listed}",
                            field=name[:40],
                        )
                    if len(query.getlist(name)) > 1:
                        raise BadInputError(
                            f"query parameter {name!r} is given more than once", field=name
                        )
            return await handler(request)

        return strict_handler
