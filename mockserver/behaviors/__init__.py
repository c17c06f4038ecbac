"""Per-API behaviour: one module per API, named after its id (see `base.ApiBehavior`)."""

# The APIs served, in their canonical order: each has a module here and a shipped spec.
# (Kept here, where importing costs nothing, so the command line can list them quickly.)
API_IDS = ("cloudplans", "versori", "pdnsmanager", "awx", "apinizer")
