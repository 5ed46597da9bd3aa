"""GitHub's own published descriptions judge every request the fake GitHub accepts.

The fake (``tests.support.fake_github``) stands in for GitHub; if it accepted a
request GitHub would refuse, every test built on it would pass against an App
that fails in production. So each request it receives is checked first:

* GraphQL against ``@octokit/graphql-schema`` (GitHub's public schema): the
  document must validate, use no deprecated field or argument, and its
  variables must coerce to their declared types;
* REST against ``@octokit/openapi`` (GitHub's OpenAPI description of
  api.github.com): the method and path must be an operation, every query
  parameter one it declares, and a JSON body must match its request schema.

And the other way: every webhook payload a test delivers to prgate must be one GitHub
could send, by ``@octokit/webhooks-schemas`` (``check_webhook``).

The npm packages are installed once per machine into the tests' cache.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.npm_cache import npm_install

GRAPHQL_SCHEMA = "@octokit/graphql-schema@15"
OPENAPI = "@octokit/openapi@23"
WEBHOOKS = "@octokit/webhooks-schemas@7.6.1"


class Refused(Exception):
    """GitHub would refuse this request; ``str(exc)`` says why."""


@cache
def _modules() -> Path:
    home = npm_install(
        "github-schemas",
        f"{GRAPHQL_SCHEMA} {OPENAPI} {WEBHOOKS}",
        "@octokit/webhooks-schemas/schema.json",
        "to judge the fake GitHub by GitHub's published schemas",
    )
    return home / "node_modules" / "@octokit"


@cache
def _graphql_schema() -> Any:
    from graphql import build_schema

    sdl = (_modules() / "graphql-schema" / "schema.graphql").read_text()
    # GitHub's schema breaks two of GraphQL's own rules (a few enterprise fields are defined
    # twice; some deprecated fields implement interface fields that are not), which
    # graphql-core would refuse before validating anything: it is GitHub's, so take it as is
    schema = build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # graphql-core's own "already validated" marker
    return schema


def check_graphql(query: str, variables: dict[str, Any] | None) -> None:
    """Raise Refused unless GitHub's schema accepts the document and its variables."""
    from graphql import GraphQLError, parse, specified_rules, validate
    from graphql.execution.values import get_variable_values
    from graphql.language import OperationDefinitionNode
    from graphql.validation import NoDeprecatedCustomRule

    schema = _graphql_schema()
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise Refused(f"GraphQL does not parse: {exc.message}") from None
    errors = validate(schema, document, [*specified_rules, NoDeprecatedCustomRule])
    if errors:
        raise Refused("GraphQL: " + "; ".join(e.message for e in errors))
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables or {})
    if isinstance(coerced, list):
        raise Refused("GraphQL variables: " + "; ".join(e.message for e in coerced))


@cache
def _openapi() -> dict[str, Any]:
    path = _modules() / "openapi" / "generated" / "api.github.com.json"
    return dict(json.loads(path.read_text()))


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    routes = []
    for template in _openapi()["paths"]:
        # a file path is one parameter that may hold slashes (/repos/{o}/{r}/contents/{path})
        pattern = re.escape(template).replace(r"\{path\}", "(?:.+)")
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes.append((re.compile(pattern + "$"), template))
    # a literal segment beats a parameter (/repos/{o}/{r}/pulls/comments vs .../pulls/{n})
    routes.sort(key=lambda r: r[1].count("{"))
    return routes


@cache
def _registry() -> Any:
    """The OpenAPI document as the root its schemas' ``#/components/...`` refs resolve in."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    return Registry().with_resource("", Resource(contents=_openapi(), specification=DRAFT4))


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = _openapi()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_rest(method: str, path: str, query: dict[str, str], body: Any) -> None:
    """Raise Refused unless GitHub's OpenAPI description has this operation as sent."""
    import jsonschema

    for pattern, template in _routes():
        if pattern.match(path):
            operation = _openapi()["paths"][template].get(method.lower())
            if operation is not None:
                break
    else:
        raise Refused(f"GitHub has no operation {method} {path}")
    parameters = [_resolve(p) for p in operation.get("parameters", [])]
    known = {p["name"] for p in parameters if p["in"] == "query"}
    unknown = sorted(set(query) - known)
    if unknown:
        raise Refused(f"{method} {template}: unknown query parameters {unknown}")
    for p in parameters:
        if p["in"] == "query" and p["name"] in query:
            _check_value(p["name"], query[p["name"]], _resolve(p.get("schema", {})))
    content = (_resolve(operation.get("requestBody")) or {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema")
    if body is not None and schema is not None:
        validator = jsonschema.Draft4Validator(_resolve(schema), registry=_registry())
        problems = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        if problems:
            where = "/".join(str(p) for p in problems[0].path) or "(body)"
            raise Refused(f"{method} {template}: {where}: {problems[0].message}")


def _check_value(name: str, value: str, schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        raise Refused(f"query parameter {name}={value!r} is not an integer")
    if "enum" in schema and value not in schema["enum"]:
        raise Refused(f"query parameter {name}={value!r} is not one of {schema['enum']}")


@cache
def _webhooks() -> dict[str, Any]:
    return dict(json.loads((_modules() / "webhooks-schemas" / "schema.json").read_text()))


def _definition(event: str) -> str | None:
    """The schema's name for an event: ``<event>_event``, or ``<event>$event`` for one
    without actions (``ping``, ``push``)."""
    definitions = _webhooks()["definitions"]
    return next((d for d in (f"{event}_event", f"{event}$event") if d in definitions), None)


def webhook_events() -> set[str]:
    """Every webhook event GitHub describes (``X-GitHub-Event`` values)."""
    refs = [r["$ref"].removeprefix("#/definitions/") for r in _webhooks()["oneOf"]]
    return {r.removesuffix("_event").removesuffix("$event") for r in refs}


def app_permissions() -> set[str]:
    """Every permission a GitHub App can ask for (``app-permissions`` in the OpenAPI)."""
    return set(_openapi()["components"]["schemas"]["app-permissions"]["properties"])


@cache
def _webhook_validator(definition: str) -> Any:
    import jsonschema

    # the event's definition, in a root that holds every definition its refs name
    definitions = _webhooks()["definitions"]
    root = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    return jsonschema.Draft7Validator(root)


def check_webhook(event: str, payload: Any) -> None:
    """Raise Refused unless GitHub's published schema for ``event`` accepts the payload."""
    import jsonschema

    definition = _definition(event)
    if definition is None:
        raise Refused(f"GitHub sends no {event!r} webhook")
    action = payload.get("action") if isinstance(payload, dict) else None
    if f"{event}${action}" in _webhooks()["definitions"]:  # the action's own: a clear reason
        definition = f"{event}${action}"
    problems = list(_webhook_validator(definition).iter_errors(payload))
    if problems:
        best = jsonschema.exceptions.best_match(problems)
        where = "/".join(str(p) for p in best.absolute_path) or "(payload)"
        raise Refused(f"{event} webhook: {where}: {best.message[:300]}")
