"""Every id and limit is bounded at the edge: out-of-range numbers get a 4xx, never a 500."""

from __future__ import annotations

import re
from typing import Any

import httpx

from accounts.roles import Role
from tests.conftest import LoginAs

TOO_LARGE = 2**63
PROBES = (TOO_LARGE, -1)


def _bounded_parameters(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, parameter) for every id, limit and offset parameter in the document."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                numeric = "integer" in _kinds(parameter)
                if numeric and (name.endswith("_id") or name in {"limit", "offset"}):
                    found.append((method, path, parameter))
    return found


def _kinds(parameter: dict[str, Any]) -> set[str | None]:
    schema = parameter.get("schema", {})
    return {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}


def _request(path: str, operation: dict[str, Any], target: dict[str, Any],
             value: int) -> tuple[str, dict[str, str]]:
    """The URL with ``value`` in the target parameter and harmless values in the others."""
    query: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        filler = str(value) if parameter is target else (
            "1" if "integer" in _kinds(parameter) else "x")
        if where == "path":
            path = path.replace("{" + name + "}", filler)
        elif where == "query" and (parameter is target or parameter.get("required")):
            query[name] = filler
    return path, query


async def test_ids_and_limits_out_of_range_are_refused(client: httpx.AsyncClient,
                                                       login_as: LoginAs) -> None:
    """2^63 and -1 in any id, limit or offset answer 4xx naming the parameter, never 500."""
    admin = await login_as(Role.ADMIN)
    spec = (await client.get("/openapi.json", headers=admin)).json()
    parameters = _bounded_parameters(spec)
    assert len(parameters) > 50  # the walk really covers the API
    for method, template, parameter in parameters:
        operation = spec["paths"][template][method]
        for value in PROBES:
            if value == -1 and parameter["name"] == "offset":
                continue
            path, query = _request(template, operation, parameter, value)
            answer = await client.request(method, path, params=query, headers=admin)
            where = f"{method.upper()} {path} {query}"
            assert 400 <= answer.status_code < 500, f"{where}: {answer.status_code}"
            if answer.status_code == 422:
                fields = [e["field"] for e in answer.json()["errors"]]
                assert any(re.search(rf"\b{parameter['name']}\b", f) for f in fields), where
