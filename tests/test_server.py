"""mockserver.server: a WSGI app served by granian through the RSGI bridge, faithfully."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import requests

from mockserver import server
from mockserver.server import DroppedConnection, serving


def echo_app(environ, start_response):
    """Answers with what it was given (the body's length, not the body)."""
    if environ["PATH_INFO"] == "/drop":
        raise DroppedConnection("asked to")
    body = environ["wsgi.input"].read()
    seen = {key: value for key, value in environ.items() if isinstance(value, str)}
    seen["body_length"] = len(body)
    payload = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def raw_exchange(base: str, request: bytes) -> bytes:
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def test_the_environ_carries_path_query_headers_and_body_as_wsgi_says():
    with serving(echo_app) as base:
        answer = requests.post(f"{base}/caf%C3%A9/x?q=%C3%A9&a=1", data=b"12345",
                               headers={"Content-Type": "text/plain", "X-Thing": "a"}).json()
    assert answer["PATH_INFO"] == "/café/x".encode().decode("latin-1")  # WSGI: the bytes as Latin-1
    assert answer["QUERY_STRING"] == "q=%C3%A9&a=1"
    assert (answer["REQUEST_METHOD"], answer["CONTENT_TYPE"], answer["CONTENT_LENGTH"]) == ("POST", "text/plain", "5")
    assert answer["HTTP_X_THING"] == "a" and answer["body_length"] == 5
    assert answer["REMOTE_ADDR"] == "127.0.0.1" and answer["wsgi.url_scheme"] == "http"


def test_repeated_headers_are_joined_cookies_with_semicolons():
    with serving(echo_app) as base:
        reply = raw_exchange(base, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-A: 1\r\nX-A: 2\r\n"
                                   b"Cookie: a=1\r\nCookie: b=2\r\n\r\n")
    seen = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert seen["HTTP_X_A"] == "1, 2" and seen["HTTP_COOKIE"] == "a=1; b=2"


def test_a_chunked_body_is_read_whole():
    with serving(echo_app) as base:
        reply = raw_exchange(base, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["body_length"] == 7


def test_a_body_declared_over_the_limit_is_never_read(monkeypatch):
    monkeypatch.setattr(server, "MAX_BODY_READ", 10)
    with serving(echo_app) as base:
        answer = requests.post(base, data=b"x" * 11).json()
    assert answer["CONTENT_LENGTH"] == "11" and answer["body_length"] == 0  # the app sees the length, answers 413


def test_a_dropped_connection_closes_without_a_byte_and_the_server_lives_on():
    with serving(echo_app) as base:
        assert raw_exchange(base, b"GET /drop HTTP/1.1\r\nHost: x\r\n\r\n") == b""
        assert requests.get(base).status_code == 200


def test_drop_connection_touches_only_the_named_socket():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        bystander = socket.create_connection(("127.0.0.1", port))
        other, _ = listener.accept()
        with client, accepted, bystander, other:
            host, client_port = client.getsockname()
            assert not server.drop_connection(f"{host}:{client_port + 60000}", f"127.0.0.1:{port}")
            assert server.drop_connection(f"{host}:{client_port}", f"127.0.0.1:{port}")
            client.settimeout(5)
            assert client.recv(1) == b""  # closed from the server side
            bystander.sendall(b"still here")
            assert other.recv(10) == b"still here"


def test_serving_stops_and_frees_its_port():
    with serving(echo_app) as base:
        port = urlsplit(base).port
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            time.sleep(0.05)
        except OSError:
            return
    raise AssertionError(f"port {port} still answers after the server stopped")


def test_granian_threads_carry_the_server_name_and_are_gone_when_serving_ends(monkeypatch):
    from mockserver.native_threads import ServerThreads

    made: list[ServerThreads] = []
    original = ServerThreads.__init__

    def remember(self, name=None):
        original(self, name)
        made.append(self)

    monkeypatch.setattr(ServerThreads, "__init__", remember)
    session = requests.Session()  # a kept-alive connection, still open when the server stops
    with serving(echo_app) as base:
        assert session.get(f"{base}/x", timeout=10).status_code == 200
        # The Rust threads inherited the name; if granian renamed them, the wait would be blind.
        assert len(made[-1].running()) >= 2
    assert made[-1].running() == set()
    session.close()



class FakeProtocol:
    """Stands in for granian's RSGI protocol: records how much of the body was taken."""

    def __init__(self, chunks):
        self.chunks, self.taken = chunks, 0

    async def __call__(self):
        self.taken = sum(map(len, self.chunks))
        return b"".join(self.chunks)

    def __aiter__(self):
        return self._iterate()

    async def _iterate(self):
        for chunk in self.chunks:
            self.taken += len(chunk)
            yield chunk


def test_a_body_is_read_only_up_to_the_limit_of_its_path():
    import asyncio

    asked: list = []

    def limit(size):
        def body_limit(environ):
            asked.append(environ["PATH_INFO"])
            return size
        return body_limit

    declared = FakeProtocol([b"x" * 100])
    environ = {"CONTENT_LENGTH": "100", "REQUEST_METHOD": "POST", "PATH_INFO": "/a"}
    assert asyncio.run(server._read_body(environ, declared, limit(99))) == b"" and declared.taken == 0
    assert asyncio.run(server._read_body(environ, FakeProtocol([b"x" * 100]), limit(100))) == b"x" * 100
    chunked = FakeProtocol([b"x" * 60] * 10)
    environ = {"REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "chunked", "PATH_INFO": "/b"}
    assert len(asyncio.run(server._read_body(environ, chunked, limit(100)))) == 120 and chunked.taken == 120
    assert asked == ["/a", "/a", "/b"]
    empty = {"REQUEST_METHOD": "GET", "PATH_INFO": "/c"}
    assert asyncio.run(server._read_body(empty, FakeProtocol([b"never"]), limit(100))) == b""
    assert asked == ["/a", "/a", "/b"]  # no body, no question: the limit costs nothing on a GET


def test_the_mock_reads_an_api_body_up_to_its_max_body_and_a_control_body_further(make_app):
    mock = make_app(only=["pdnsmanager"]).wsgi_app
    assert mock.body_limit({"PATH_INFO": "/pdnsmanager/records/2/credentials"}) == mock.runtime.config.max_body
    assert mock.body_limit({"PATH_INFO": "/__mock/state"}) == 64 * 1024 * 1024
    # On an API's own port (--api-port) every path but /__mock/ is that API's.
    pinned = {"PATH_INFO": "/records/2/credentials", server.PINNED_API: "pdnsmanager"}
    assert mock.body_limit(pinned) == mock.runtime.config.max_body
    assert mock.body_limit({**pinned, "PATH_INFO": "/__mock/state"}) == 64 * 1024 * 1024


def test_warm_up_builds_the_control_app_before_any_control_call(api_cache):
    from mockserver.app import MockApp
    from mockserver.runtime import MockConfig, MockRuntime

    mock = MockApp(MockRuntime(MockConfig(only=["pdnsmanager"]), api_cache(["pdnsmanager"])))
    assert mock._flask_wsgi is None  # start-up leaves Flask out
    mock.warm_up()
    assert mock._flask_wsgi is not None
