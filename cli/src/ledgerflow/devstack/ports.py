from __future__ import annotations

import random
import socket
import time

# Below Linux's ephemeral range (32768-60999): a port kept for the next start must not be handed out
# meanwhile as the local end of some outgoing connection.
_STABLE_RANGE = (20000, 32000)


def free_port(exclude: set[int] | None = None) -> int:
    exclude = exclude or set()
    chooser = random.Random()  # noqa: S311 (port choice, not security)
    while True:
        port = chooser.randint(*_STABLE_RANGE)
        if port not in exclude and is_free(port):
            return port


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Free for a server: SO_REUSEADDR, as servers bind, so connections in TIME_WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_until_listening(port: int, timeout: float, what: str, alive: object = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(port):
            return
        if callable(alive) and not alive():
            raise RuntimeError(f"{what} exited before it listened on 127.0.0.1:{port}")
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")
