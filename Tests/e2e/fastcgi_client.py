"""A minimal FastCGI client (responder role), to talk to a worker without a web server.

Enough of the protocol for tests: one request per connection, parameters as a web server
sends them, the body in chunks that the caller can pause between (to test a request that is
in flight while the worker is told to stop).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1
REQUEST_ID = 1


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _record(kind: int, content: bytes) -> bytes:
    return struct.pack(">BBHHBx", VERSION, kind, REQUEST_ID, len(content), 0) + content


def _length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _params(params: dict[str, str]) -> bytes:
    out = b""
    for name, value in params.items():
        n, v = name.encode(), value.encode()
        out += _length(len(n)) + _length(len(v)) + n + v
    return out


def cgi_params(method: str, request_uri: str, content_type: str | None = None, body_length: int = 0, **extra: str) -> dict[str, str]:
    """The parameters nginx's fastcgi_params sends for a request."""
    path, _, query = request_uri.partition("?")
    params = {
        "REQUEST_METHOD": method,
        "REQUEST_URI": request_uri,
        "QUERY_STRING": query,
        "DOCUMENT_URI": path,
        "SCRIPT_NAME": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "CONTENT_LENGTH": str(body_length) if body_length else "",
        "CONTENT_TYPE": content_type or "",
    }
    params.update(extra)
    return params


class Connection:
    """One FastCGI request over a unix or TCP socket."""

    def __init__(self, address: str | tuple[str, int], timeout: float = 10.0):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(address)

    def begin(self, params: dict[str, str]) -> None:
        self.sock.sendall(_record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0)))
        encoded = _params(params)
        for start in range(0, len(encoded), 65535):
            self.sock.sendall(_record(PARAMS, encoded[start : start + 65535]))
        self.sock.sendall(_record(PARAMS, b""))

    def send_body(self, chunk: bytes) -> None:
        for start in range(0, len(chunk), 65535):
            self.sock.sendall(_record(STDIN, chunk[start : start + 65535]))

    def finish(self) -> Response:
        self.sock.sendall(_record(STDIN, b""))
        stdout = b""
        buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("worker closed the connection before END_REQUEST")
            buffer += data
            while len(buffer) >= 8:
                _, kind, _, length, padding = struct.unpack(">BBHHB", buffer[:7])
                if len(buffer) < 8 + length + padding:
                    break
                content = buffer[8 : 8 + length]
                buffer = buffer[8 + length + padding :]
                if kind == STDOUT:
                    stdout += content
                elif kind == END_REQUEST:
                    self.sock.close()
                    return _parse(stdout)


def _parse(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.decode().split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(headers.get("status", "200").split()[0])
    return Response(status, headers, body)


def request(address, method: str, request_uri: str, body: bytes = b"", content_type: str | None = None, **extra: str) -> Response:
    connection = Connection(address)
    connection.begin(cgi_params(method, request_uri, content_type, len(body), **extra))
    if body:
        connection.send_body(body)
    return connection.finish()
