"""Verifies a webhook delivery with Python's standard library: the raw body exactly as received,
the three webhook-* headers, and the endpoint's whsec_ secret."""

import base64
import hashlib
import hmac
import json
import sys
import time


def verify_webhook(secret, headers, raw_body, tolerance_seconds=300):
    """Returns the event when the delivery is genuine and fresh; raises ValueError otherwise."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise ValueError("not a webhook delivery: headers missing")
    # A stale timestamp means a replayed request.
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        raise ValueError("timestamp too old or too new")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + raw_body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # During a secret rotation the header holds one signature per secret: any may match.
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(raw_body)
    raise ValueError("no valid signature")


if __name__ == "__main__":
    # For a quick check: {"secret": …, "headers": {…}, "body": "…"} on stdin prints the event type.
    delivery = json.load(sys.stdin)
    event = verify_webhook(delivery["secret"], delivery["headers"], delivery["body"].encode())
    print(event["type"])
