"""The store is thread-safe: concurrent creates are never lost or given the same id."""

from __future__ import annotations

import threading

THREADS, PER_THREAD = 8, 500


def test_eight_threads_by_500_creates_store_4000_distinct_credentials(make_app):
    app = make_app(only=["pdnsmanager"], check_responses=False)
    runtime = app.extensions["mockserver"]
    before = runtime.store.api("pdnsmanager")["credentials"].count_where("record", 5)
    ids: list[list[int]] = [[] for _ in range(THREADS)]
    failures: list[str] = []
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        client = app.test_client()
        start.wait()
        for i in range(PER_THREAD):
            response = client.post("/pdnsmanager/records/5/credentials", headers={"X-Authentication": "t"},
                                   json={"description": f"t{n}-{i}", "type": "password", "password": "p"})
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.get_data(as_text=True)}")
                return
            ids[n].append(response.json["id"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    created = [i for chunk in ids for i in chunk]
    assert len(created) == len(set(created)) == THREADS * PER_THREAD
    listed = app.test_client().get("/pdnsmanager/records/5/credentials", headers={"X-Authentication": "t"}).json
    descriptions = {c["description"] for c in listed["results"]}
    assert len(listed["results"]) == before + THREADS * PER_THREAD
    assert all(f"t{n}-{i}" in descriptions for n in range(THREADS) for i in range(PER_THREAD))
