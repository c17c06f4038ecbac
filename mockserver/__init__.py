"""A spec-driven, stateful mock and contract-testing server for five credentials APIs.

Start with `mockserver.app.create_app`; the flow of one request is in
`mockserver.pipeline`.
"""

__version__ = "0.1.0"
