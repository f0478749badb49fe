"""A tiny webhook receiver for trying the alerter's webhook sink: prints every alert it receives and verifies its
Standard Webhooks signature (HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>", as the alerter's
WebhookSigner signs). Python standard library only; compose.yaml runs it in python:3-slim (`--profile webhook`).

    KAKUSA_WEBHOOK_SECRET=whsec_... PORT=9000 python3 deploy/webhook-receiver.py

Prints one line a call on stdout: "verified <id> <severity> <rule>: <message>" and answers 204, or
"rejected <id> <reason>" and answers 401 (the alerter does not retry a 4xx). A secret of the form whsec_<base64> is
the spec's (the key is the decoded base64); any other is used as its UTF-8 bytes, as the alerter does.
"""

import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60  # the spec's suggested window against replays


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except ValueError:
            pass
    return secret.encode()


def verify(key: bytes, headers, body: bytes, now: float) -> str | None:
    """None if the call is signed with the key and recent, else why not."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
            return f"timestamp {timestamp} is more than {TOLERANCE_SECONDS} s away"
    except ValueError:
        return f"timestamp {timestamp!r} is not a number"
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    # The header may carry several space-separated signatures (key rotation); one match is enough.
    if any(hmac.compare_digest(expected, candidate) for candidate in signatures.split()):
        return None
    return "signature does not match"


class Handler(BaseHTTPRequestHandler):
    key = b""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        msg_id = self.headers.get("webhook-id", "-")
        reason = verify(self.key, self.headers, body, time.time())
        if reason is None:
            try:
                alert = json.loads(body)
                summary = f"{alert.get('severity')} {alert.get('rule')}: {alert.get('message')}"
            except ValueError:
                summary = f"(not JSON: {len(body)} bytes)"
            print(f"verified {msg_id} {summary}", flush=True)
            self.send_response(204)
        else:
            print(f"rejected {msg_id} {reason}", flush=True)
            self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # access log on stderr, stdout is for the alerts
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main():
    secret = os.environ.get("KAKUSA_WEBHOOK_SECRET", "")
    if not secret:
        sys.exit("webhook-receiver: KAKUSA_WEBHOOK_SECRET is not set (the same secret as the alerter's)")
    Handler.key = signing_key(secret)
    port = int(os.environ.get("PORT", "9000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `docker compose stop` without the 10 s wait
    print(f"webhook-receiver: listening on port {port}, POST any path", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
