"""Declared list paging and order: x-mock-paging, x-mock-order (issue 11), through the
generic engine with a spec written for the test, one list per style."""

from __future__ import annotations

import re

import pytest
from tiny import spec_app

from mockserver.spec import SpecError, load_spec

LIST = """
    get:
      operationId: {op}
      parameters:
        - {{name: page, in: query, schema: {{type: [integer, string]}}}}
        - {{name: size, in: query, schema: {{type: integer, minimum: 1}}}}
        - {{name: after, in: query, schema: {{type: string}}}}
        - {{name: before, in: query, schema: {{type: string}}}}
      x-mock-order: {order}
      x-mock-paging: {paging}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{type: object, properties: {{{member}: {{type: array, items: {{$ref: '#/components/schemas/Book'}}}}}}}}
        '400': {{description: bad, content: {{application/json: {{schema: {{type: object}}}}}}}}
        '404': {{description: none, content: {{application/json: {{schema: {{type: object}}}}}}}}
"""
SPEC = """openapi: 3.1.0
info: {title: Books, version: '1'}
paths:
  /books:
    post:
      operationId: createBook
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Book'}}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Book'}}}}
""" + LIST.format(op="listBooks", member="results", order="{by: [title]}",
                  paging="{style: links, page: page, size: size, default_size: 2, max_size: 3, "
                         "invalid_page: {status: 404, message: No such page}, "
                         "body: {count: '{count}', next: '{next}', previous: '{previous}', results: '{items}'}}") + """
  /books/{bookId}:
    parameters: [{name: bookId, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getBook
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Book'}}}}
  /shelves/{shelf}/books:
    parameters: [{name: shelf, in: path, required: true, schema: {type: string}}]
""" + LIST.format(op="listShelfBooks", member="books", order="{by: [year], descending: true}",
                  paging="{style: cursor, size: size, default_size: 2, "
                         "body: {total: '{count}', next: '{next?}', prev: '{prev?}', books: '{items}'}}") + """
  /stacks/{stack}/books:
    parameters: [{name: stack, in: path, required: true, schema: {type: string}}]
""" + LIST.format(op="listStackBooks", member="results", order="{by: [title]}",
                  paging="{style: pages, page: page, size: size, "
                         "body: {paging: {page: '{page}', pages: '{pages}', size: '{size?}'}, results: '{items}'}}") + """
components:
  schemas:
    Book:
      type: object
      properties:
        id: {type: string, readOnly: true}
        title: {type: string}
        year: {type: integer}
        secret: {type: string, writeOnly: true}
"""

BOOKS = [("Emma", 1815), ("Dracula", 1897), ("Ulysses", 1922), ("Beloved", 1987), ("Candide", 1759)]


@pytest.fixture
def client(tmp_path):
    spec = tmp_path / "books.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    empty = tmp_path / "empty.yaml"  # a scenario naming the API: no seeded books
    empty.write_text("apis: {books: {books: []}}\n", encoding="utf-8")
    client = spec_app(spec, fixtures=[empty]).test_client()
    client.books = [client.post("/books/books", json={"title": t, "year": y, "secret": "s"}).json
                    for t, y in BOOKS]
    return client


def test_links_style_orders_caps_and_links_relative_keeping_other_parameters(client):
    first = client.get("/books/books?size=2").json
    assert first["count"] == 5 and [b["title"] for b in first["results"]] == ["Beloved", "Candide"]
    assert first["previous"] is None and first["next"] == "/books/books?page=2&size=2"
    last = client.get("/books/books?size=2&page=last").json
    assert [b["title"] for b in last["results"]] == ["Ulysses"] and last["next"] is None
    assert last["previous"] == "/books/books?page=2&size=2"
    second = client.get("/books/books?page=2&size=2").json
    assert second["previous"] == "/books/books?size=2"  # page 1 is the bare list
    capped = client.get("/books/books?size=50").json
    assert len(capped["results"]) == 3 and capped["next"] == "/books/books?page=2&size=3"
    beyond = client.get("/books/books?page=9")
    assert beyond.status_code == 404 and "No such page" in beyond.get_data(as_text=True)
    assert all("secret" not in b for b in capped["results"])  # writeOnly never shown


def test_cursor_style_pages_by_the_boundary_key_in_declared_order(client):
    url = "/books/shelves/s1/books"
    assert client.get(url).json == {"total": 0, "books": []}  # no next / prev members at all
    # (the engine keeps children per shelf; books of /books are on no shelf)


def test_pages_style_counts_pages_and_leaves_out_an_absent_size(client):
    body = client.get("/books/stacks/a/books").json
    assert body == {"paging": {"page": 1, "pages": 1}, "results": []}


def test_cursor_and_pages_over_data(tmp_path):
    spec = tmp_path / "books.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    scenario = tmp_path / "data.yaml"
    rows = "\n".join(f"      - {{id: b{i}, shelf: s1, title: {t}, year: {y}}}" for i, (t, y) in enumerate(BOOKS))
    stacks = "\n".join(f"      - {{id: c{i}, stack: a, title: {t}, year: {y}}}" for i, (t, y) in enumerate(BOOKS))
    scenario.write_text(f"apis:\n  books:\n    root_books:\n{rows}\n    root_books_:\n{stacks}\n",
                        encoding="utf-8")
    client = spec_app(spec, fixtures=[scenario]).test_client()
    url = "/books/shelves/s1/books"
    first = client.get(url).json
    assert [b["year"] for b in first["books"]] == [1987, 1922] and first["next"] == "b2" and "prev" not in first
    middle = client.get(f"{url}?after=b2").json
    assert [b["year"] for b in middle["books"]] == [1897, 1815] and middle["prev"] == "b1"
    assert [b["year"] for b in client.get(f"{url}?before=b1").json["books"]] == [1987, 1922]
    unknown = client.get(f"{url}?after=nobody")
    assert unknown.status_code == 400 and "unknown cursor" in unknown.get_data(as_text=True)
    assert client.get(f"{url}?after=b2&before=b1").status_code == 400
    paged = client.get("/books/stacks/a/books?size=2&page=3").json
    assert paged["paging"] == {"page": 3, "pages": 3, "size": 2} and [b["title"] for b in paged["results"]] == \
        ["Ulysses"]


@pytest.mark.parametrize("replace,message", [
    ("style: links", "style: sideways", ),
    ("{by: [title]}", "{by: title}"),
    ("next: '{next}'", "next: '{nxt}'"),
])
def test_a_bad_declaration_stops_the_start(tmp_path, replace, message):
    spec = tmp_path / "books.yaml"
    spec.write_text(SPEC.replace(replace, message, 1), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape("/paths/~1books/get/x-mock-")):
        load_spec(spec)


def test_a_numbered_first_page_keeps_page_1_in_its_link(tmp_path):
    spec = tmp_path / "books.yaml"
    spec.write_text(SPEC.replace("max_size: 3, ", "max_size: 3, first_page: numbered, "), encoding="utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text("apis: {books: {books: []}}\n", encoding="utf-8")
    client = spec_app(spec, fixtures=[empty]).test_client()
    for title, year in BOOKS:
        client.post("/books/books", json={"title": title, "year": year})
    assert client.get("/books/books?page=2&size=2").json["previous"] == "/books/books?page=1&size=2"
