"""What each API's checks need beyond what its spec says (see `..runner` for the hooks).

Most of a flow is derived from the spec (`..derived`), and so are its parents: their
``--parent`` names and default values (`..parents`). A module here holds only what the
spec cannot say: a login, vendor-specific extra checks, more unknown-id requests, or (for
an API whose paths the derived flow cannot follow) a whole flow of its own, saying why.
"""
