"""The generic engine: serve any OpenAPI spec statefully, with no code of its own.

`infer` reads the spec's resources from its path shapes, `CrudBehavior` serves them from
the store, and `shapes` fits entities, pages and errors into the documented schemas.
"""
