"""One module per API: its stateful flow, its parents, and its unknown-id requests.

A module provides ``run(flow)`` (create -> list -> get -> update -> visible -> delete ->
gone, with the ids that API really returns), ``DEFAULTS`` (the parents in the mock's
default data, overridden by ``--org``, ``--project``, ``--record``, ``--user``),
``PATH_PARENTS`` (which path parameter is which parent), ``unknown_ids(flow)``, and
optionally ``adapt_example``, ``query_for`` and ``login``.
"""
