"""Contract verification: check any server, the mock or the real one, against a spec.

``mockserver verify --api pdnsmanager --base-url https://dns.example.com/api/v1`` runs:

- a stateful flow per API (create -> list shows it -> get -> update -> the change is
  visible -> delete -> gone), derived from the spec (``derived.py``) under the parents
  the spec declares (``parents.py``), with what the spec cannot say in ``flows/<api>.py``
  (a login, extra checks, or a flow of its own where the paths do not fit; ``runner.py``);
- negative checks derived from the spec for every operation: no credentials gets the
  documented 401/403, a missing required field a documented 4xx, an unknown id the
  documented 404/400 (``negative.py``);

and checks every response for its documented status, content type, body schema and
required headers. Failures are named by the drift they show (``drifts.py``): "wrong
status code", "missing required field", "secret returned in clear", ... Everything a
run creates is deleted again, even when a check fails midway.
"""
