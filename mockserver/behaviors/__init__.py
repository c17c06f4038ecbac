"""Per-API behaviour: one module per API, named after its id (see `base.ApiBehavior`)."""
