"""The vocabulary of the OpenAPI description, named once: the common schemas and the builders
of parameters, bodies, answers and operations that every resource module uses for its part of
``/openapi.json`` (``openapi.py`` assembles them). Errors always refer to the shared
``E4xx``/``E503`` responses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from palabre.domain.shapes import Json

ID: Json = {"type": "string", "format": "uuid"}
STRING: Json = {"type": "string"}
INTEGER: Json = {"type": "integer"}
BOOLEAN: Json = {"type": "boolean"}
TIME: Json = {"type": "string", "format": "date-time"}
DATE: Json = {"type": "string", "format": "date"}
POSITION: Json = {"type": "integer", "minimum": 0}
SHA256: Json = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
COUNTRY: Json = {"type": "string", "enum": ["FR", "TG"]}
JSON = "application/json"
MARKDOWN = "text/markdown; charset=utf-8"
QUERY_TOKEN_SECURITY: list[Json] = [{"bearer": []}, {"queryToken": []}]


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Json) -> Json:
    return {"oneOf": [schema, {"type": "null"}]}


def obj(properties: Json, optional: Iterable[str] = ()) -> Json:
    """An object with these properties, all required but the ``optional`` ones."""
    left_out = set(optional)
    required = [name for name in properties if name not in left_out]
    return {"type": "object", "properties": properties, "required": required}


def enum(*values: str) -> Json:
    return {"type": "string", "enum": list(values)}


def array(items: Json) -> Json:
    return {"type": "array", "items": items}


def counts() -> Json:
    """An object of names to non-negative counts."""
    return {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


def content(description: str, media_type: str, schema: Json | None = None) -> Json:
    """One answer: its description and media type (with a schema, if it has one)."""
    described: Json = {} if schema is None else {"schema": schema}
    return {"description": description, "content": {media_type: described}}


def json_answer(schema: Json, description: str = "JSON") -> Json:
    return content(description, JSON, schema)


def path_parameters(path: str) -> list[Json]:
    """The path's parameters: ids (UUIDs), except version numbers ``n`` and ``m``."""
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1} if name in ("n", "m") else ID,
        }
        for name in re.findall(r"{(\w+)}", path)
    ]


def query(name: str, schema: Json, required: bool = False, description: str = "") -> Json:
    parameter: Json = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


IDEMPOTENCY_KEY: Json = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"},
    "description": "Chosen by the client before the first attempt: the same request again "
    "under the same key gets the first answer (header Idempotent-Replayed: true) and does "
    "nothing twice; the key with another request answers 409 idempotency_key_reused",
}


def token_query(why: str) -> Json:
    return query("token", STRING, description=f"The token, for {why}")


READS = (400, 401, 403, 404)  # a malformed id or parameter, no token, no role, no such thing


def changes(body: bool = True) -> tuple[int, ...]:
    """What a change may meet besides: 409 (stored state, concurrent change) and, with a
    body, 413."""
    return (*READS, 409, *((413,) if body else ()))


def errors(codes: Iterable[int]) -> Json:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in sorted(codes)}


def operation(
    summary: str,
    answer: Json,
    *,
    status: int = 200,
    body: Json | None = None,
    parameters: list[Json] | None = None,
    failures: Iterable[int] = (),
) -> Json:
    """One operation: its answer under ``status``, the errors it may meet, a JSON body and
    query parameters if it has them."""
    described: Json = {"summary": summary, "responses": {str(status): answer} | errors(failures)}
    if body is not None:
        described["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if parameters:
        described["parameters"] = parameters
    return described


def path_item(path: str, **operations: Json) -> Json:
    """The path with its path parameters and operations (``get=...``, ``post=...``)."""
    item: Json = dict(operations)
    if parameters := path_parameters(path):
        item["parameters"] = parameters
    return {path: item}


# Operations described by their schema names -------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One operation: its answer is a schema name (JSON) or a ready response object; ``also``
    lists other statuses it may answer (below 400: the same answer; from 400: an error)."""

    method: str
    path: str
    summary: str
    answer: str | Json
    body: str | None = None
    status: int = 200
    public: bool = False
    also: tuple[int, ...] = ()
    idempotent: bool = False  # takes an Idempotency-Key header
    query: tuple[Json, ...] = ()  # its query parameters (``query()``)

    def describe(self) -> Json:
        ok = (
            json_answer(ref(self.answer), self.answer)
            if isinstance(self.answer, str)
            else self.answer
        )
        responses: Json = {str(self.status): ok}
        responses |= {str(code): ok for code in self.also if code < 400}
        responses |= errors(self.errors())
        operation: Json = {"summary": self.summary, "responses": responses}
        if self.body is not None:
            schema = {"schema": ref(self.body)}
            operation["requestBody"] = {"required": True, "content": {JSON: schema}}
        if self.public:
            operation["security"] = []
        parameters = [*self.query, *([IDEMPOTENCY_KEY] if self.idempotent else [])]
        if parameters:
            operation["parameters"] = parameters
        return operation

    def errors(self) -> list[int]:
        codes = [code for code in self.also if code >= 400]
        if self.public:
            return codes
        codes += [400, 401, 403, 404]  # 400: a malformed id in the path
        if self.method != "GET":
            codes.append(409)  # closed meeting or proposal, concurrent changes
        if self.body is not None:
            codes.append(413)
        return sorted(codes)


def paths_of(operations: Iterable[Op]) -> Json:
    """The path items of these operations, each path with its path parameters."""
    paths: Json = {}
    for op in operations:
        item = paths.setdefault(op.path, {})
        if "parameters" not in item and path_parameters(op.path):
            item["parameters"] = path_parameters(op.path)
        item[op.method.lower()] = op.describe()
    return paths
