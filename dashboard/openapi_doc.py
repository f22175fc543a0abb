"""The OpenAPI document as the app really answers: one table of error answers for every route."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from accounts.deps import current_user
from runtime.problems import FieldProblem, Problem, ValidationProblem

REF = "#/components/schemas/"
STATE_CHANGING = {"post", "put", "patch", "delete"}


# Which routes can give which refusal; each entry is (status, description, applies to route).
Rule = Callable[[APIRoute, str], bool]
ERROR_ANSWERS: list[tuple[int, str, Rule]] = [
    (400, "The body could not be read (not UTF-8 JSON, or a broken form)",
     lambda r, m: r.body_field is not None),
    (401, "Not signed in, or the session has ended", lambda r, m: _signed_in(r.dependant)),
    (403, "The signed-in role, or the link, may not do this",
     lambda r, m: _signed_in(r.dependant) or "{token}" in r.path_format),
    # References in a body are checked before inserting, so writes can name a missing record.
    (404, "No such record", lambda r, m: "{" in r.path_format or m in STATE_CHANGING),
    (409, "The record's state does not allow this", lambda r, m: m in STATE_CHANGING),
    (413, "The request body is over this route's limit", lambda r, m: r.body_field is not None),
    # Only where a route declares it (log-in, liveness checks): this row gives it the body.
    (429, "Too many requests; see Retry-After", lambda r, m: False),
]


def document(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Make ``app.openapi()`` describe the app's real error bodies and status codes.

    ``routers`` are the ones included without a prefix: their routes carry the dependencies
    that tell which answers a route can give."""
    routes = [route for router in routers for route in router.routes
              if isinstance(route, APIRoute) and route.include_in_schema]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _build(app, routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _build(app: FastAPI, routes: list[APIRoute]) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldProblem, ValidationProblem):
        schemas[model.__name__] = model.model_json_schema(ref_template=REF + "{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = {"application/json": {"schema": {"$ref": REF + "Problem"}}}
    validation = {"application/json": {"schema": {"$ref": REF + "ValidationProblem"}}}
    for operations in spec["paths"].values():  # every 422, whichever router the route is on
        for operation in operations.values():
            if "422" in operation.get("responses", {}):
                operation["responses"]["422"] = {
                    "description": "The request was refused, field by field",
                    "content": validation}
    for route, method, operation in _operations(routes, spec):
        answers = operation.setdefault("responses", {})
        for code, description, applies in ERROR_ANSWERS:
            if applies(route, method) or str(code) in answers:
                answer = answers.setdefault(str(code), {"description": description})
                # A route that documents its own body (a page in words) keeps it.
                if not any(media.get("schema") for media in answer.get("content", {}).values()):
                    answer["content"] = problem
    return spec


def _operations(routes: list[APIRoute],
                spec: dict[str, Any]) -> Iterator[tuple[APIRoute, str, dict[str, Any]]]:
    for route in routes:
        for method in route.methods or ():
            operation = spec["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield route, method.lower(), operation


def _signed_in(dependant: Dependant) -> bool:
    """Whether the route (through any of its dependencies) needs a signed-in staff member."""
    return dependant.call is current_user or any(_signed_in(d) for d in dependant.dependencies)
