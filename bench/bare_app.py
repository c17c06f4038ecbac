"""The baseline: a bare Flask app answering the bench's request mix, nothing more.

It is served exactly as the mock is (``mockserver.server``: granian, one process), so the
ratio mock ÷ bare is what the mock's own work costs: routing against five specs, schema
validation, auth, state, the journal. Each route parses what it must and answers a fixed,
realistic body.

Run: ``.venv/bin/python -m bench.bare_app --port 8090``
"""

from __future__ import annotations

import argparse

from flask import Flask, jsonify, request


def create_bare_app() -> Flask:
    """A Flask app with one handler per call of the mix."""
    app = Flask("bench-bare")
    page = [{"id": n, "description": f"credential {n}", "type": "password"} for n in range(1, 26)]

    @app.get("/pdnsmanager/records/<int:record>/credentials")
    def pdns_list(record):
        size = request.args.get("pagesize", 25, type=int)
        return jsonify({"paging": {"page": 1, "total": 400, "pagesize": size}, "results": page[:size]})

    @app.post("/apinizer/apiops/projects/<project>/credentials/")
    def apinizer_create(project):
        body = request.get_json()
        if not isinstance(body.get("password"), str) or not isinstance(body.get("enabled"), bool):
            return jsonify({"success": False, "error": "invalid_request"}), 400
        return jsonify({"success": True})

    @app.post("/awx/api/v2/users/<int:user>/credentials/")
    def awx_create(user):
        body = request.get_json()
        return jsonify({"id": 1, "type": "credential", "url": "/api/v2/credentials/1/", "name": body["name"],
                        "credential_type": body["credential_type"], "inputs": {"username": "deploy"}}), 201

    @app.get("/versori/o/<org>/credentials/<credential>")
    def versori_get(org, credential):
        return jsonify({"id": credential, "organisationId": org, "name": "HubSpot private app token",
                        "type": "string", "data": {"value": "<redacted>"}, "errors": [],
                        "createdAt": "2025-02-03T08:45:09.113Z", "updatedAt": "2025-09-02T14:21:07.318Z"})

    @app.get("/__mock/health")
    def health():
        return jsonify({"status": "ok"})

    return app


def main() -> None:
    """Serve the bare app until interrupted."""
    from mockserver.server import run_until_interrupted

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    run_until_interrupted(create_bare_app(), args.host, args.port)


if __name__ == "__main__":
    main()
