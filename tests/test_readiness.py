"""`mockserver wait`: ready on 2xx, patient with anything else, blind to proxies."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

from servers import ROOT, free_port, threaded_server

from mockserver.readiness import probe, wait_until_ready


def wait(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockserver", "wait", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_ready_on_2xx_not_on_an_error_status(make_app):
    with threaded_server(make_app()) as base:
        assert probe(f"{base}/__mock/health") == (True, "200")
        assert probe(f"{base}/__mock/nope") == (False, "HTTP 404")
        result = wait(f"{base}/__mock/health", "--timeout", "5")
        assert result.returncode == 0 and "is ready" in result.stdout


def test_a_dead_port_times_out_with_exit_1_and_the_reason():
    result = wait(f"http://127.0.0.1:{free_port()}/__mock/health", "--timeout", "0.3")
    assert result.returncode == 1 and "Connection refused" in result.stderr and "Traceback" not in result.stderr


def test_a_port_that_answers_garbage_is_retried_not_a_crash():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def answer_garbage():
            for _ in range(50):
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(1024)
                    conn.sendall(b"SSH-2.0-not-http\r\n")

        threading.Thread(target=answer_garbage, daemon=True).start()
        ready, last = wait_until_ready(f"http://127.0.0.1:{port}/", timeout=0.3)
    assert not ready and last.startswith("not an HTTP answer")


def test_proxy_settings_are_ignored(make_app):
    with threaded_server(make_app()) as base:
        env = {"HTTP_PROXY": f"http://127.0.0.1:{free_port()}", "http_proxy": f"http://127.0.0.1:{free_port()}",
               "NO_PROXY": "", "no_proxy": "", "PATH": "/usr/bin:/bin"}
        assert wait(f"{base}/__mock/health", "--timeout", "5", env=env).returncode == 0
