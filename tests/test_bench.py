"""The benchmark's own parts: wrk reports, scripts, the results file, its fixtures and baseline.

Nothing here times anything (figures belong to ``make bench``); these tests make sure the
bench measures the calls it claims to, and reports them faithfully.
"""

from __future__ import annotations

import copy

import pytest

from bench import bodies, mix, report, wrk
from bench.__main__ import best_run
from bench.bare_app import create_bare_app

WRK_REPORT = """Running 1s test @ http://127.0.0.1:8952/apinizer/apiops/projects/nope/credentials/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   711.01us  430.90us   5.24ms   89.92%
    Req/Sec     3.00k   618.48     3.80k    60.00%
  Latency Distribution
     50%  592.00us
     75%  758.00us
     90%    1.14ms
     99%    2.47ms
  2988 requests in 1.00s, 1.47MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2988
Requests/sec:   2984.80
Unexpected statuses: 7
Transfer/sec:      1.47MB
"""


def test_a_wrk_report_is_read_with_its_units_and_wrong_answers():
    load = wrk.parse(WRK_REPORT)
    assert (load.rps, load.p50_ms, load.p99_ms, load.requests) == (2984.80, 0.592, 2.47, 2988)
    assert load.unexpected == 7 + 4  # the script's count of other statuses, plus the socket errors


def test_the_wrk_script_sends_the_call_and_counts_other_statuses():
    script = wrk._lua(mix.REJECTED, "run-1")
    assert "[=[POST]=]" in script and "[=[/apinizer/apiops/projects/petstore/credentials/]=]" in script
    assert "[ [=[Authorization]=] ] = [=[bench]=]" in script and 'body:gsub("{n}", unique)' in script
    assert "[=[run-1]=] .. \"-\" .. tostring(tid or 0)" in script
    assert "if status ~= 400 then unexpected = unexpected + 1 end" in script


def test_lua_strings_hold_any_text_without_escapes():
    assert wrk._lua_string('{"name": "café ]=] x"}') == '[==[{"name": "café ]=] x"}]==]'


def test_wrong_answers_never_make_the_best_run():
    fast_but_wrong = wrk.Load(rps=9000, p50_ms=1, p99_ms=2, requests=10, unexpected=3)
    right = wrk.Load(rps=5000, p50_ms=1, p99_ms=2, requests=10, unexpected=0)
    best = best_run([fast_but_wrong, right])
    assert best["rps"] == 5000 and best["unexpected"] == 3  # reported, not hidden


def _send(client, call: mix.Call, n: int):
    body = call.body.replace("{n}", str(n)) if call.body else None
    headers = dict(call.headers)
    if "Cookie" in headers:  # the test client sends cookies from its own jar only
        name, _, value = headers.pop("Cookie").partition("=")
        client.set_cookie(name, value)
    return client.open(call.path, method=call.method, headers=headers, data=body)


@pytest.mark.parametrize("call", mix.MIX, ids=lambda c: c.name)
def test_the_mock_and_the_bare_app_answer_each_call_as_the_bench_expects(make_app, call):
    mock_client, bare = make_app().test_client(), create_bare_app().test_client()
    for n in range(2):  # twice: creates must not collide with themselves
        assert _send(mock_client, call, n).status_code == call.expect
        assert _send(bare, call, n).status_code == call.expect


@pytest.mark.parametrize("files,stored", [
    (["bench/fixtures/pdns-100.yaml"], 100),
    (["fixtures/default.yaml", "bench/fixtures/pdns-10k.yaml"], 10_001),  # added to the default data's one
])
def test_the_bench_fixtures_load_with_their_counts(make_app, files, stored):
    runtime = make_app(only=["pdnsmanager"], fixtures=files).extensions["mockserver"]
    assert runtime.store.api("pdnsmanager")["credentials"].count_where("record", 1) == stored


FIGURES = {
    "startup": {"median_s": 0.41, "best_s": 0.39, "runs": 7},
    "mix": {side: {c.name: {"rps": rps, "p50_ms": 1.0, "p99_ms": 4.0, "requests": 1, "unexpected": 0}
                   for c in mix.MIX} for side, rps in (("mock", 5000.0), ("bare", 2500.0))},
    "prism": {"versori-get": {"rps": 1000.0, "p50_ms": 8.0, "p99_ms": 30.0, "requests": 1, "unexpected": 0},
              "startup_s": 1.3},
    "store": {"100": {"list": {"p50_ms": 0.5, "rps": 1}, "ready_s": 0.5},
              "100000": {"list": {"p50_ms": 0.6, "rps": 1}, "last_page": {"p50_ms": 1.2}, "ready_s": 8.0,
                         "rss_mb": 130.0}},
    "seconds_per_run": 5, "bench_duration_s": 90,
}


def test_the_results_file_states_each_target_and_whether_it_is_met(tmp_path):
    text = report.write(copy.deepcopy(FIGURES), tmp_path / "results.md")
    assert "| throughput ≥ 0.8 × bare Flask, same server | 2.00 × over the mix (lowest call 2.00 ×) | yes |" in text
    assert "| throughput ≥ 3 × Stoplight Prism, Versori get | 5.0 × | yes |" in text
    assert "| list latency at 100,000 stored ≤ 1.5 × at 100 | 1.20 × | yes |" in text
    assert "| ≤ 200 MB resident with 100,000 credentials | 130 MB | yes |" in text
    assert "No previous results from this machine" in text


def test_a_second_run_is_compared_with_the_previous_file(tmp_path):
    path = tmp_path / "results.md"
    report.write(copy.deepcopy(FIGURES), path)
    slower = copy.deepcopy(FIGURES)
    slower["mix"]["mock"]["versori-get"]["rps"] = 4000.0
    slower["startup"]["median_s"] = 0.6
    text = report.write(slower, path)
    assert "| Versori get | 4000 |" in text and "| -20 % |" in text
    assert "median 0.600 s" in text and "(+46 % vs previous run)" in text
    assert "| start-up to healthy ≤ 0.5 s, five specs | 0.600 s (median) | no |" in text
    assert report.previous(path)["mix"]["mock"]["versori-get"]["rps"] == 4000.0


def test_results_from_another_machine_are_not_compared(tmp_path, monkeypatch):
    path = tmp_path / "results.md"
    report.write(copy.deepcopy(FIGURES), path)
    monkeypatch.setattr(report, "machine", lambda: {"cpu": "Other CPU", "cores": 64, "memory": "", "os": "",
                                                    "python": "", "host": ""})
    text = report.write(copy.deepcopy(FIGURES), path)
    assert "No previous results from this machine" in text and "%" not in text.split("## Start-up")[0]


def test_wrong_answers_are_a_failed_check_in_the_results(tmp_path):
    figures = copy.deepcopy(FIGURES)
    figures["mix"]["mock"]["rejected"]["unexpected"] = 12
    assert "| (validity) every answer had the expected status | 12 unexpected answers | no |" in \
        report.write(figures, tmp_path / "results.md")


def test_without_prism_the_target_says_not_measured(tmp_path):
    figures = {**copy.deepcopy(FIGURES), "prism": None}
    assert "| not measured (no Prism) | — |" in report.write(figures, tmp_path / "results.md")


@pytest.mark.parametrize("case", bodies.cases(), ids=lambda case: case[0])
def test_every_expensive_body_of_the_bench_gets_a_4xx(make_app, case):
    name, method, path, body = case
    answer = make_app().test_client().open(path, method=method, data=body,
                                           headers={"Authorization": "Bearer t", "Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500, name


def test_the_worst_expensive_body_is_a_target_row_and_every_body_is_listed(tmp_path):
    figures = copy.deepcopy(FIGURES)
    figures["bodies"] = {"small invalid body (baseline)": {"ms": 2.0, "kb": 0},  # never the "worst": too small
                         "1 MiB of invalid items": {"ms": 51.2, "kb": 1024},
                         "1 MiB of nested brackets": {"ms": 409.6, "kb": 1024}}
    text = report.write(figures, tmp_path / "results.md")
    assert "| an expensive body ≤ 30 ms per 100 KB (issue 10) | 40.0 ms per 100 KB (worst body) | no |" in text
    assert "1 MiB of nested brackets 409.6 ms" in text and "small invalid body (baseline) 2.0 ms" in text


def test_the_dashboards_feed_is_a_target_row(tmp_path):
    figures = copy.deepcopy(FIGURES)
    figures["feed"] = {"mix_ratio": 0.97, "calls": {"versori-get": {"ratio": 0.93}, "rejected": {"ratio": 1.01}}}
    text = report.write(figures, tmp_path / "results.md")
    assert ("| the dashboard's live feed costs ≤ 5 % of throughput (issue 13) | 0.970 × over the mix with it "
            "polling (lowest call 0.930 ×) | yes |") in text
    assert "issue 13" not in report.write(copy.deepcopy(FIGURES), tmp_path / "other.md")  # not measured: no row


def test_the_feed_poller_reads_like_the_dashboard(make_app):
    from bench.feed import Poller
    from servers import threaded_server

    app = make_app(only=["pdnsmanager"])
    with threaded_server(app) as base:
        import requests

        for _ in range(3):
            requests.get(f"{base}/pdnsmanager/records/2/credentials", headers={"X-Authentication": "t"}, timeout=10)
        poller = Poller(base)
        poller.halt.set()  # one poll, then stop
        poller.run()
        assert poller.polls == 1 and poller.entries == 3 and poller.last is not None
