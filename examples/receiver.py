"""A webhook receiver for the demo: prints each alert and checks its signature.

    python examples/receiver.py --port 9109 --secret whsec_...

It verifies the Standard Webhooks signature (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) with the shared secret, the
way a real receiver would, and answers 204.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def key_bytes(secret: str) -> bytes:
    """A ``whsec_`` secret is base64 of the key; any other string is the key itself."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def verified(secret: str, msg_id: str, timestamp: str, body: bytes, header: str) -> bool:
    """True when one of the ``v1,`` signatures in the header matches."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key_bytes(secret), signed, hashlib.sha256).digest())
    return any(hmac.compare_digest(expected, part.removeprefix("v1,").encode())
               for part in header.split() if part.startswith("v1,"))


def handler(secret: str) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``secret``."""

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verified(secret, self.headers.get("webhook-id", ""),
                          self.headers.get("webhook-timestamp", ""), body,
                          self.headers.get("webhook-signature", ""))
            alert = json.loads(body)
            print(f"[receiver] {'signature verified' if ok else 'BAD SIGNATURE'}: "
                  f"{alert['status'].upper()} {alert['alert']} ({alert['severity']}) on "
                  f"{alert['monitor']}: {alert['summary']}", flush=True)
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    return Receiver


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9109)
    parser.add_argument("--secret", default="whsec_ZXhhbXBsZS1zZWNyZXQtZm9yLXRoZS1kZW1v")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.secret))
    print(f"[receiver] listening on http://127.0.0.1:{args.port}/hooks", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
