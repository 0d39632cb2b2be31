#!/usr/bin/env python3
"""WhatsApp Cloud API webhooks through a real `chatvault serve` on 127.0.0.1:

* the verification handshake (right token → the challenge; wrong or missing → 403);
* notifications with a valid, a wrong, a missing and a replayed X-Hub-Signature-256: only
  signed ones get 200 and are archived; a replay adds nothing;
* a notification of every message type of spec §A.4 (and statuses, calls, errors, edits,
  revokes): each content message becomes an item in the business number's mailbox, found by
  search;
* a media message whose bytes are fetched through a local stand-in of the Graph API
  (tests/connector/graph_standin.py, the real wire format of §A.11) at once;
* SIGKILL of the service while webhooks arrive loses none that got a 200;
* no API response and no log line of the whole run holds a secret the test configured.

Usage: test_webhooks.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, quote, Service, sign, test_args, wait_for  # noqa: E402

PASSWORD = "a long admin passphrase 1"
APP_SECRET = "app-secret-7f3a9c1e55d2"
VERIFY_TOKEN = "verify-token-b81d20aa"
ACCESS_TOKEN = "EAAG-access-token-2c9e4b7d"
BUSINESS = "4930123456"       # our number (display_phone_number)
PHONE_ID = "111222333444555"  # its Graph id
CUSTOMER = "4915112345678"
COMPLIANCE = "compliance@bank.example"
ERIKA = "erika@corp.example"


def wamid(n: int) -> str:
    """A wamid in the observed layout (§A.12) carrying message id 3A<n as 18 hex digits>."""
    user = CUSTOMER.encode()
    mid = f"3A{n:018X}".encode()
    raw = bytes([0x1C, 0x18, len(user)]) + user + bytes([0x15, 0x02, 0x00, 0x12, 0x18, len(mid)]) + mid + b"\x00"
    return "wamid." + base64.b64encode(raw).decode()


def envelope(value: dict, field: str = "messages") -> bytes:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": BUSINESS, "phone_number_id": PHONE_ID}, **value}
    body = {"object": "whatsapp_business_account",
            "entry": [{"id": "102938475610293", "changes": [{"field": field, "value": value}]}]}
    return json.dumps(body).encode()


def inbound(n: int, typ: str, payload: dict | None, ts: int, **extra) -> bytes:
    msg = {"from": CUSTOMER, "id": wamid(n), "timestamp": str(ts), "type": typ, **extra}
    if payload is not None:
        msg[typ] = payload
    return envelope({"contacts": [{"profile": {"name": "Erika Muster"}, "wa_id": CUSTOMER}], "messages": [msg]})


def every_type(t0: int) -> list[tuple[str, bytes, str | None]]:
    """(type, body, a word search must find in its item, or None)."""
    media = lambda mid, mime, **kw: {"id": mid, "mime_type": mime, "sha256": "0" * 64, **kw}  # noqa: E731
    out = [
        ("text", inbound(1, "text", {"body": "quarterly zebrafish forecast"}, t0), "zebrafish"),
        ("image", inbound(2, "image", media("media-img-1", "image/jpeg", caption="harbour lighthouse photo"), t0 + 1),
         "lighthouse"),
        ("video", inbound(3, "video", media("media-missing-2", "video/mp4", caption="walrus clip"), t0 + 2), "walrus"),
        ("audio", inbound(4, "audio", media("media-missing-3", "audio/ogg; codecs=opus", voice=True), t0 + 3), None),
        ("document", inbound(5, "document", media("media-missing-4", "application/pdf", filename="../contract.pdf",
                                                   caption="signed gazebo contract"), t0 + 4), "gazebo"),
        ("sticker", inbound(6, "sticker", media("media-missing-5", "image/webp", animated=False), t0 + 5), None),
        ("location", inbound(7, "location", {"latitude": 52.52, "longitude": 13.405, "name": "Fernsehturm",
                                             "address": "Panoramastrasse 1A"}, t0 + 6), None),
        ("contacts", inbound(8, "contacts", None, t0 + 7, contacts=[
            {"name": {"formatted_name": "Quentin Pangolin", "first_name": "Quentin"},
             "phones": [{"phone": "+44 7700 900461", "type": "CELL"}]}]), None),
        ("interactive", inbound(9, "interactive", {"type": "button_reply", "button_reply": {"id": "b1", "title": "Approve marmalade"}},
                                t0 + 8, context={"from": BUSINESS, "id": wamid(900)}), "marmalade"),
        ("button", inbound(10, "button", {"text": "Confirm okapi", "payload": "OK"}, t0 + 9), "okapi"),
        ("reaction", inbound(11, "reaction", {"message_id": wamid(1), "emoji": "\U0001F44D"}, t0 + 10), None),
        ("order", inbound(12, "order", {"catalog_id": "c1", "text": "narwhal order", "product_items": [
            {"product_retailer_id": "sku1", "quantity": 2, "item_price": 9.5, "currency": "EUR"}]}, t0 + 11), None),
        ("system", inbound(13, "system", {"body": "User changed number", "type": "user_changed_number",
                                          "wa_id": "4915199999999"}, t0 + 12), None),
        ("request_welcome", inbound(14, "request_welcome", None, t0 + 13), None),
        ("unsupported", inbound(15, "unsupported", {"type": "poll_creation"}, t0 + 14,
                                errors=[{"code": 131051, "title": "Message type unknown",
                                         "message": "Message type unknown",
                                         "error_data": {"details": "Message type is currently not supported."}}]), None),
        ("text-reply", inbound(16, "text", {"body": "forwarded capybara note"}, t0 + 15,
                               context={"forwarded": True}), "capybara"),
    ]
    statuses = envelope({"statuses": [{"id": wamid(900), "status": "read", "timestamp": str(t0 + 16),
                                       "recipient_id": CUSTOMER}]})
    call = envelope({"calls": [{"id": "wacid.HBgLMTIzNDU2Nzg5MA", "from": CUSTOMER, "to": BUSINESS,
                                "timestamp": str(t0 + 17), "direction": "USER_INITIATED", "event": "terminate",
                                "status": "COMPLETED", "start_time": str(t0 + 17), "end_time": str(t0 + 95),
                                "duration": 78}]}, field="calls")
    errors = envelope({"errors": [{"code": 131000, "title": "Something went wrong", "message": "Something went wrong"}]})
    return out + [("statuses", statuses, None), ("calls", call, None), ("errors", errors, None)]


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-webhooks-")
    responses: list = []
    svc = Service(args.chatvault, work, {"admin": (["organization-management"], PASSWORD)})

    # The Graph API stand-in, with one media file.
    img = os.path.join(work, "photo.jpg")
    with open(img, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + os.urandom(4000) + b"\xff\xd9")
    graph = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "connector", "graph_standin.py"),
                              "--token", ACCESS_TOKEN, "--media", f"media-img-1={img}:image/jpeg",
                              "--expire-first-url", "--port", "0", "--timeout", "600"],
                             stdout=subprocess.PIPE, text=True)
    port_line = graph.stdout.readline()
    graph_port = int(port_line.strip().split("=")[1])

    svc.start()
    try:
        admin = svc.client(responses)
        c.check(admin.login("admin", PASSWORD).status == 200, "admin signs in")
        connector = {
            "name": "waba", "kind": "cloud-api", "phone_number_id": PHONE_ID,
            "graph_base_url": f"http://127.0.0.1:{graph_port}/v21.0",
            "owners": [f"+{BUSINESS}={COMPLIANCE}"],
            "mapping_csv": f"phone,email\n+{CUSTOMER},{ERIKA}\n",
            "secrets": {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "access_token": ACCESS_TOKEN},
        }
        r = admin.request("POST", "/api/v1/connectors", connector)
        c.check(r.status == 201, f"a Cloud API connector is added: {r}")
        shown = admin.request("GET", "/api/v1/connectors/waba")
        c.check(shown.status == 200 and shown.json()["secrets"].get("app_secret") == "set",
                f"its secrets show as set, never as values: {shown}")

        hook = svc.client(responses)
        # --- handshake ---------------------------------------------------------------------------
        r = hook.request("GET", f"/webhooks/cloud-api/waba?hub.mode=subscribe&hub.verify_token={quote(VERIFY_TOKEN)}"
                                "&hub.challenge=1158201444")
        c.check(r.status == 200 and r.body == b"1158201444", f"the handshake echoes the challenge: {r}")
        r = hook.request("GET", "/webhooks/cloud-api/waba?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
        c.check(r.status == 403, f"a wrong verify token gets 403: {r}")
        r = hook.request("GET", "/webhooks/cloud-api/waba?hub.mode=subscribe&hub.challenge=1")
        c.check(r.status == 403, f"a missing verify token gets 403: {r}")

        # --- signatures ---------------------------------------------------------------------------
        t0 = int(time.time()) - 3600
        first = inbound(100, "text", {"body": "signed aardvark message"}, t0)
        r = hook.request("POST", "/webhooks/cloud-api/waba", raw=first,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET, first)})
        c.check(r.status == 200, f"a signed notification gets 200: {r}")
        forged = inbound(101, "text", {"body": "forged pelican message"}, t0)
        r = hook.request("POST", "/webhooks/cloud-api/waba", raw=forged,
                         headers={"X-Hub-Signature-256": sign("not-the-secret", forged)})
        c.check(r.status == 401, f"a wrong signature gets 401: {r}")
        r = hook.request("POST", "/webhooks/cloud-api/waba", raw=forged)
        c.check(r.status == 401, f"a missing signature gets 401: {r}")
        tampered = first.replace(b"aardvark", b"aardwolf")
        r = hook.request("POST", "/webhooks/cloud-api/waba", raw=tampered,
                         headers={"X-Hub-Signature-256": sign(APP_SECRET, first)})
        c.check(r.status == 401, f"a body changed after signing gets 401: {r}")
        r = hook.request("POST", "/webhooks/cloud-api/waba", raw=first,
                         headers={"X-Hub-Signature-256": sign(APP_SECRET, first)})
        c.check(r.status == 200, f"a replayed delivery is acknowledged (deliveries are at least once): {r}")

        def found(word: str) -> int:
            res = admin.request("GET", f"/api/v1/search?q={quote(word)}&limit=1000")
            return res.json()["total"] if res.status == 200 else -1

        wait_for(lambda: found("aardvark") == 1, 30, what="the signed message to be archived")
        c.check(found("aardvark") == 1, "the signed message is archived once, replay or not")
        c.check(found("pelican") == 0 and found("aardwolf") == 0, "nothing unsigned or tampered is archived")

        # --- every type -------------------------------------------------------------------------
        for typ, body, word in every_type(t0 + 100):
            r = hook.request("POST", "/webhooks/cloud-api/waba", raw=body,
                             headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET, body)})
            c.check(r.status == 200, f"{typ}: acknowledged: {r}")
        for typ, body, word in every_type(t0 + 100):
            if word:
                c.check(wait_for(lambda w=word: found(w) >= 1, 30, what=f"{typ} to be archived") >= 1,
                        f"{typ}: its item is found by '{word}'")
        boxes = {m["address"]: m["items"] for m in admin.request("GET", "/api/v1/mailboxes").json()["mailboxes"]}
        c.check(boxes.get(COMPLIANCE, 0) >= 17, f"the business number's mailbox holds every content item: {boxes}")
        c.check(boxes.get(ERIKA, 0) >= 17, f"the customer's mapped mailbox too: {boxes}")

        runs = admin.request("GET", "/api/v1/connectors/waba/runs").json()["runs"]
        c.check(len(runs) >= 1 and runs[0]["trigger"] == "webhook" and runs[0]["progress"]["imported"] >= 1,
                f"the day's webhook events are a run in the connector's history: {runs[:1]}")

        # --- media through the Graph stand-in -----------------------------------------------------
        hits = admin.request("GET", "/api/v1/search?q=lighthouse").json()["hits"]
        c.check(len(hits) == 1, f"the image message is found: {hits}")
        if hits:
            item = admin.request("GET", f"/api/v1/items/{hits[0]['item']}").json()
            atts = item.get("attachments", [])
            c.check(len(atts) == 1 and atts[0]["present"] and atts[0]["size"] == os.path.getsize(img),
                    f"its image was downloaded through the Graph API flow and archived: {atts}")
        hits = admin.request("GET", "/api/v1/search?q=walrus").json()["hits"]
        if hits:
            item = admin.request("GET", f"/api/v1/items/{hits[0]['item']}").json()
            c.check(item["attachments"] and not item["attachments"][0]["present"],
                    "a media id the Graph API does not know leaves the item archived, its attachment 'not retrieved'")

        # --- SIGKILL while webhooks arrive --------------------------------------------------------
        acked: set[int] = set()

        def send(n: int):
            body = inbound(10_000 + n, "text", {"body": f"killtest w{n:05d}"}, t0 + 500 + n)
            try:
                res = svc.client().request("POST", "/webhooks/cloud-api/waba", raw=body,
                                           headers={"X-Hub-Signature-256": sign(APP_SECRET, body)})
                if res.status == 200:
                    acked.add(n)
            except OSError:
                pass

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(send, n) for n in range(600)]
            wait_for(lambda: len(acked) >= 150, 60, 0.01, "150 acknowledged webhooks")
            svc.kill()
            for f in futures:
                f.result()
        c.check(150 <= len(acked) < 600, f"the service was killed mid-stream ({len(acked)} of 600 acknowledged)")
        svc.start()
        admin = svc.client(responses)
        admin.login("admin", PASSWORD)

        def archived() -> set[int]:
            res = admin.request("GET", "/api/v1/search?q=killtest&limit=1000")
            if res.status != 200:
                return set()
            return {int(h["snippet"].split("w")[-1][:5]) for h in res.json()["hits"] if "w" in h["snippet"]}

        wait_for(lambda: acked <= archived(), 120, 0.5, "every acknowledged webhook to be archived")
        c.check(acked <= archived(), f"no acknowledged webhook is lost: missing {sorted(acked - archived())[:10]}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        graph.kill()
        graph.wait()

    # --- secrets ------------------------------------------------------------------------------
    everything = svc.log().encode()
    for _, _, _, headers, body in responses:
        everything += body + json.dumps(headers).encode()
    for name, secret in (("app secret", APP_SECRET), ("verify token", VERIFY_TOKEN), ("access token", ACCESS_TOKEN),
                         ("password", PASSWORD)):
        c.check(secret.encode() not in everything, f"the {name} appears in no API response and no log line")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept", work)
    return c.done("test_webhooks")


if __name__ == "__main__":
    sys.exit(main())
