"""Unit tests of mockserver.routing."""

from __future__ import annotations

from tiny import TINY_SPEC, tiny_spec_file

from mockserver.routing import NoRoute, RouteMatch, Router
from mockserver.spec import load_spec


def router(tmp_path, text=None):
    path = tiny_spec_file(tmp_path)
    if text:
        path.write_text(text)
    return Router(load_spec(path, "tiny"))


def test_matches_templates_and_extracts_parameters(tmp_path):
    match = router(tmp_path).match("GET", "/things/42")
    assert isinstance(match, RouteMatch)
    assert match.operation.operation_id == "getThing" and match.path_params == {"id": "42"}


def test_literal_segment_wins_over_parameter(tmp_path):
    assert router(tmp_path).match("GET", "/things/special").operation.operation_id == "getSpecial"


def test_unknown_path_is_404_and_wrong_method_405_with_allowed(tmp_path):
    r = router(tmp_path)
    missing = r.match("GET", "/nope")
    assert isinstance(missing, NoRoute) and missing.status == 404
    wrong = r.match("PATCH", "/things/1")
    assert wrong.status == 405 and wrong.allowed == ("DELETE", "GET", "HEAD")


def test_trailing_slash_is_strict_unless_declared_optional(tmp_path):
    assert router(tmp_path).match("GET", "/things/").status == 404
    relaxed = router(tmp_path, "x-mock-trailing-slash: optional\n" + TINY_SPEC)
    assert relaxed.match("GET", "/things/").operation.operation_id == "listThings"
    assert relaxed.match("GET", "/things").operation.operation_id == "listThings"


def test_method_is_case_insensitive_and_segments_do_not_span_slashes(tmp_path):
    r = router(tmp_path)
    assert r.match("get", "/things/7").operation.operation_id == "getThing"
    assert r.match("GET", "/things/7/extra").status == 404


def test_no_route_names_the_closest_operation_and_why(tmp_path):
    r = router(tmp_path)
    typo = r.match("GET", "/thing/7")
    assert typo.closest == "DELETE/GET /things/{id}" and "'thing'" in typo.why
    longer = r.match("GET", "/things/7/extra")
    assert longer.closest == "DELETE/GET /things/{id}" and "3 path segments" in longer.why
    wrong_method = r.match("PATCH", "/things/7")
    assert wrong_method.closest == "/things/{id}" and "PATCH is not allowed here" in wrong_method.why


def test_repeated_slashes_are_merged_for_every_api_as_nginx_does(make_app):
    """CloudPlans' document writes its remove path as ``//v1/...``; any API is routed so."""
    client = make_app().test_client()
    removed = client.post("/cloudplans//v1/organizations//credentials/delete", headers={"Authorization": "Bearer t"},
                          json={"org_id": "org-7f3c1e2a", "credential_id": "no-such-credential"})
    assert (removed.status_code, removed.json) == (404, {"status": 404, "response": "Credential not found"})
    assert client.get("/awx//api/v2/credential_types//", headers={"Authorization": "Bearer t"}).status_code == 200
    assert client.get("/__mock//health").status_code == 200
    journal = client.get("/__mock/requests").json
    entries = journal["requests"] if isinstance(journal, dict) else journal
    assert any(e["path"] == "/cloudplans/v1/organizations/credentials/delete" for e in entries)


def test_a_near_miss_names_the_real_difference(tmp_path):
    router = Router(load_spec(tiny_spec_file(tmp_path)))
    slash = router.match("GET", "/things/")
    assert isinstance(slash, NoRoute) and "trailing slash" in slash.why
