"""A tiny OpenAPI spec and behaviour for unit tests of the engine (independent of the five APIs)."""

from __future__ import annotations

from pathlib import Path

from mockserver.behaviors.base import ApiBehavior, OperationContext, handles
from mockserver.messages import Reply
from mockserver.registry import MountedApi
from mockserver.routing import Router
from mockserver.spec import load_spec

TINY_SPEC = """
openapi: 3.1.0
info: {title: Tiny, version: "1"}
security:
  - bearer: []
x-mock-collections:
  things:
    key: id
    ids: integer
    indexes: [owner]
    references: {owner: owners}
    schema:
      type: object
      required: [name]
      properties:
        id: {type: integer}
        owner: {type: integer}
        name: {type: string, minLength: 1}
      additionalProperties: false
  owners:
    key: id
    ids: integer
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, default: 10}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingList'}
              examples:
                two: {value: {things: [{id: 1, name: a}, {id: 2, name: b}]}}
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ThingCreate'}
      responses:
        '201':
          description: created
          headers:
            Location: {required: true, schema: {type: string}, example: /things/1}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '400':
          description: bad
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
              example: {message: bad}
  /things/special:
    get:
      operationId: getSpecial
      security: []
      responses:
        '204': {description: nothing}
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
    get:
      operationId: getThing
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '404':
          description: missing
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
    delete:
      operationId: boom
      responses:
        '204': {description: gone}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Error:
      type: object
      required: [message]
      properties: {message: {type: string}}
    Thing:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
      additionalProperties: false
    ThingCreate:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1, maxLength: 10}
        size: {type: integer}
    ThingList:
      type: object
      required: [things]
      properties:
        things: {type: array, items: {$ref: '#/components/schemas/Thing'}}
"""


class TinyBehavior(ApiBehavior):
    """Handlers that exercise the pipeline's paths."""

    api_id = "tiny"

    def error_body(self, status, message, **extra):
        return {"message": message}

    @handles("listThings")
    def list_things(self, ctx: OperationContext) -> Reply:
        things = [{"id": t["id"], "name": t["name"]} for t in ctx.data["things"]][: ctx.query["limit"]]
        return Reply(200, {"things": things})

    @handles("createThing")
    def create_thing(self, ctx: OperationContext) -> Reply:
        thing = ctx.data["things"].add({"name": ctx.body["name"]})
        return Reply(201, {"id": thing["id"], "name": thing["name"]}, {"Location": f"/things/{thing['id']}"})

    @handles("getSpecial")
    def get_special(self, ctx: OperationContext) -> Reply:
        return Reply(204)

    @handles("getThing")
    def get_thing(self, ctx: OperationContext) -> Reply:
        thing = ctx.data["things"].get(ctx.path["id"])
        if thing is None:
            raise ctx.fail(404, "no such thing")
        return Reply(200, {"id": thing["id"], "name": thing["name"], "secret": "leak"} if thing["name"] == "leaky"
                     else {"id": thing["id"], "name": thing["name"]})

    @handles("boom")
    def boom(self, ctx: OperationContext) -> Reply:
        raise RuntimeError("a bug in a handler")


def tiny_spec_file(directory: Path) -> Path:
    """Write the tiny spec to `directory` and return its path."""
    path = Path(directory) / "tiny.yaml"
    path.write_text(TINY_SPEC, encoding="utf-8")
    return path


def tiny_api(directory: Path) -> MountedApi:
    """The tiny API, mounted with its behaviour."""
    spec = load_spec(tiny_spec_file(directory), "tiny")
    return MountedApi(spec=spec, router=Router(spec), behavior=TinyBehavior())


def spec_app(spec: Path, **config):
    """An app serving the OpenAPI file `spec` (as ``mockserver run --spec``) alone, at
    /<file stem>, with these MockConfig options."""
    from mockserver.app import create_app
    from mockserver.registry import load_apis
    from mockserver.runtime import MockConfig

    return create_app(MockConfig(**config), apis=load_apis(only=[spec.stem], extra_specs=[spec]))
