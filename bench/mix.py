"""The request mix ``make bench`` measures, the same for the mock and the bare app."""

from __future__ import annotations

from dataclasses import dataclass, field

VERSORI_ORG = "01J9ZK3B7Q8X2M4N6P0R5S1T3V"
VERSORI_CREDENTIAL = "01JK5FR8KSH4QX4FR84G98PBSK"  # in fixtures/default.yaml
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Call:
    """One request: ``{n}`` in the body is replaced by a value unique in the run."""

    name: str
    title: str
    method: str
    path: str
    expect: int
    headers: dict = field(default_factory=dict)
    body: str | None = None


PDNS_LIST = Call("pdns-list", "PDNS list page (pagesize 25, 10,000 stored)", "GET",
                 "/pdnsmanager/records/1/credentials?page=1&pagesize=25", 200, {"X-Authentication": "bench"})
APINIZER_CREATE = Call("apinizer-create", "Apinizer create", "POST",
                       "/apinizer/apiops/projects/petstore/credentials/", 200, {"Authorization": "bench", **JSON},
                       '{"username": "bench-{n}", "password": "s3cret", "fullName": "Bench User", "enabled": true}')
AWX_CREATE = Call("awx-create", "AWX create, YAML inputs string", "POST", "/awx/api/v2/users/2/credentials/", 201,
                  {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ=", **JSON},
                  '{"name": "bench {n}", "credential_type": 1, '
                  '"inputs": "username: deploy\\npassword: s3cret-{n}\\nbecome_method: sudo\\n"}')
VERSORI_GET = Call("versori-get", "Versori get", "GET", f"/versori/o/{VERSORI_ORG}/credentials/{VERSORI_CREDENTIAL}",
                   200, {"Cookie": "cookie=bench"})
REJECTED = Call("rejected", "Rejected request (invalid body, 400)", "POST",
                "/apinizer/apiops/projects/petstore/credentials/", 400, {"Authorization": "bench", **JSON},
                '{"username": "bench-{n}", "enabled": "maybe"}')

MIX = (PDNS_LIST, APINIZER_CREATE, AWX_CREATE, VERSORI_GET, REJECTED)

# Prism mocks one spec at its root: the same Versori get, without the /versori mount.
PRISM_VERSORI_GET = Call("versori-get", "Versori get", "GET", f"/o/{VERSORI_ORG}/credentials/{VERSORI_CREDENTIAL}",
                         200, {"Cookie": "cookie=bench"})


def small_list(page_size: int = 25) -> Call:
    """The first page of record 1, for the list-latency-by-store-size measurement."""
    return Call("pdns-page", "PDNS list page 1", "GET",
                f"/pdnsmanager/records/1/credentials?page=1&pagesize={page_size}", 200, {"X-Authentication": "bench"})
