#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (run once from
the repository root; re-running rewrites the seed-* files only, never the
crash-* / found-* files libFuzzer runs added).  Seeds come from the shared
vectors (tests/vectors/data/) and hand-written valid and invalid inputs."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VEC = os.path.join(ROOT, "tests", "vectors", "data")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def vec(name):
    with open(os.path.join(VEC, name)) as f:
        return json.load(f)


TXS = vec("txs.json")
B58 = vec("base58.json")
KEYS = vec("keys.json")
ADDR_S = "rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1"
ADDR_E = "rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD"
PUB_S = "030D58EB48B4420B1F7B9DF55087E0E29FEF0E8468F9A6825B01CA2C361042D435"
CHAN = "5DB01B7FFED6B67E6B0414DED11E051D2EE2B7619CE0EAA6286D67A3A4D5BDB3"
SIG = "30440220" + "11" * 32 + "0220" + "22" * 32

# ---- quantity ----------------------------------------------------------
q = lambda a, s: {"amount": a, "scale": s}
for name, v in {
    "rfc-example": q("1234567", 9),
    "upscale": q("5", 2),
    "zero": q("0", 0),
    "zero-scale-255": q("0", 255),
    "drops": q("1000000", 6),
    "max-drops": q("100000000000000000", 6),
    "above-max-drops": q("100000000000000001", 6),
    "max-drops-scale0": q("100000000000", 0),
    "leading-zeros": q("000000123", 7),
    "digits-96": q("9" * 96, 200),
    "digits-97": q("9" * 97, 0),
    "scale-255": q("1" + "0" * 95, 255),
    "scale-256": q("1", 256),
    "scale-neg": q("1", -1),
    "scale-string": {"amount": "1", "scale": "6"},
    "amount-number": {"amount": 1, "scale": 6},
    "amount-empty": q("", 6),
    "amount-sign": q("-1", 6),
    "amount-exp": q("1e5", 6),
    "extra-member": {"amount": "7", "scale": 3, "asset": "XRP"},
    "pair": [q("1", 0), q("999999", 6)],
    "pair-scales": [q("1" * 96, 0), q("9" * 96, 255)],
    "eight": [q(str(10 ** i), i * 30 % 256) for i in range(8)],
    "mixed-array": [q("5", 1), 7, "x", None, q("5", 9)],
}.items():
    write("quantity", name, v)
write("quantity", "scale-real", '{"amount":"1","scale":6.0}')
write("quantity", "dup-key", '{"amount":"1","amount":"2","scale":0}')
write("quantity", "not-json", "amount=1&scale=6")

# ---- peer_msg ----------------------------------------------------------
hello = {"type": "hello", "version": 1, "address": ADDR_S,
         "key_type": "secp256k1", "min_settle_delay": 259200}
claim = {"type": "claim", "channel": CHAN, "amount": "1000",
         "signature": SIG, "public_key": PUB_S}
reply = {"type": "claim_reply", "channel": CHAN, "accepted": False,
         "amount": "900", "code": "bad_signature", "message": "no"}
for name, v in {
    "hello": hello,
    "hello-reply-channel": dict(hello, type="hello_reply", channel=CHAN,
                                address=ADDR_E, key_type="ed25519"),
    "hello-no-version": {k: v for k, v in hello.items() if k != "version"},
    "hello-version-0": dict(hello, version=0),
    "hello-version-2": dict(hello, version=2),
    "hello-bad-address": dict(hello, address=ADDR_S[:-1] + "2"),
    "hello-bad-keytype": dict(hello, key_type="rsa"),
    "hello-delay-big": dict(hello, min_settle_delay=4294967296),
    "claim": claim,
    "claim-no-pubkey": {k: v for k, v in claim.items() if k != "public_key"},
    "claim-ed-pubkey": dict(claim, public_key="ED" + "AB" * 32),
    "claim-04-pubkey": dict(claim, public_key="04" + "AB" * 32),
    "claim-sig-64": dict(claim, signature="AB" * 64),
    "claim-sig-short": dict(claim, signature="AB" * 7),
    "claim-sig-long": dict(claim, signature="AB" * 73),
    "claim-lower-hex": dict(claim, channel=CHAN.lower()),
    "claim-amount-zero": dict(claim, amount="0"),
    "claim-amount-max": dict(claim, amount="100000000000000000"),
    "claim-amount-over": dict(claim, amount="100000000000000001"),
    "claim-amount-lead0": dict(claim, amount="01"),
    "claim-amount-number": dict(claim, amount=1000),
    "reply-rejected": reply,
    "reply-accepted": {"type": "claim_reply", "channel": CHAN,
                       "accepted": True, "amount": "1000"},
    "reply-accepted-code": dict(reply, accepted=True),
    "reply-code-none": dict(reply, code="none"),
    "reply-long-message": dict(reply, message="x" * 201),
    "reply-max-message": dict(reply, message="\u00e9" * 100),
    "reply-ctrl-message": dict(reply, message="\u0001\u001f\"\\/"),
    "channel-update": {"type": "channel_update", "channel": CHAN},
    "close-request": {"type": "close_request", "channel": CHAN,
                      "version": 7},
    "unknown-type": {"type": "ping"},
    "type-number": {"type": 3},
    "array": [claim],
}.items():
    write("peer_msg", name, v)
write("peer_msg", "dup-key",
      '{"type":"channel_update","channel":"%s","channel":"%s"}' % (CHAN, CHAN))
write("peer_msg", "nul-in-string", '{"type":"claim\\u0000","channel":"x"}')
write("peer_msg", "big", json.dumps(dict(reply, pad="x" * 4100)))
write("peer_msg", "empty", "")

# ---- base58 ------------------------------------------------------------
for i, v in enumerate(B58["raw"]):
    write("base58", "raw-%d" % i, v["base58"])
for i, v in enumerate(B58["checked"]):
    write("base58", "checked-%d" % i, v["base58"])
for i, v in enumerate(B58["invalid"]):
    s = v.get("base58", v.get("input", ""))
    write("base58", "invalid-%d" % i, s)
for alg in ("secp256k1", "ed25519"):
    for i, v in enumerate(KEYS[alg]):
        write("base58", "%s-seed-%d" % (alg, i), v["seed"])
        for k in ("address", "public_key_base58", "account_public_key"):
            if isinstance(v.get(k), str):
                write("base58", "%s-%s-%d" % (alg, k, i), v[k])
write("base58", "bad-char-0", "r0b9CJAWyB4rj91VRWn96DkukG4bwdtyTh")
write("base58", "bad-char-l", "rlb9CJAWyB4rj91VRWn96DkukG4bwdtyTh")
write("base58", "long", "z" * 200)
write("base58", "long-zeros", "r" * 200)
write("base58", "nul-inside", b"rHb9CJAWyB4rj91\x00VRWn96DkukG4bwdtyTh")
write("base58", "high-bytes", bytes(range(128, 256)))

# ---- txjson ------------------------------------------------------------
for t in TXS["transactions"]:
    write("txjson", t["id"], t["tx_json"])
    write("txjson", t["id"] + "-signed", t["tx_json_signed"])
base = TXS["transactions"][0]["tx_json"]
tok = {"currency": "USD", "issuer": ADDR_E, "value": "-1.5e-3"}
write("txjson", "token-amount", dict(base, Amount=tok))
write("txjson", "token-hex-currency",
      dict(base, SendMax=dict(tok, currency="0158415500000000C1F76FF6ECB0BAC600000000", value="1234567890123456e80")))
write("txjson", "unknown-field", dict(base, Bogus=1))
write("txjson", "type-number", dict(base, TransactionType=0))
write("txjson", "type-unknown", dict(base, TransactionType="NFTokenMint"))
write("txjson", "fee-negative", dict(base, Fee="-12"))
write("txjson", "fee-number", dict(base, Fee=12))
write("txjson", "uint64", dict(base, TransactionType="AccountSet",
                              Amount=None))
write("txjson", "rippled-tx", dict(TXS["transactions"][0]["tx_json_signed"],
                                   hash="AB" * 32, ledger_index=5,
                                   validated=True, meta={"TransactionResult": "tesSUCCESS"},
                                   DeliverMax=base.get("Amount", "1")))
write("txjson", "memos-nested", dict(base, Memos=[{"Memo": {"MemoData": "AB", "MemoType": "6869"}}] * 5))
write("txjson", "signers", dict(base, Signers=[{"Signer": {"Account": ADDR_E, "SigningPubKey": PUB_S, "TxnSignature": "AB"}}]))
write("txjson", "deep", '{"Memos":' + '[{"Memo":' * 30 + '{}' + '}]' * 30 + '}')

# ---- rippled_frame -----------------------------------------------------
env = lambda i, r: {"id": i, "type": "response", "status": "success",
                    "api_version": 2, "result": r}
signed = TXS["transactions"][12]["tx_json_signed"]
for name, v in {
    "server-info": env(1, {"info": {"network_id": 21337, "build_version": "2.3.0",
                                    "validated_ledger": {"seq": 90, "hash": "AB" * 32,
                                                         "base_fee_xrp": 1e-05}}}),
    "server-info-str": env(1, {"info": {"network_id": "21337",
                                        "validated_ledger": {"seq": "90"}}}),
    "subscribe": env(2, {"ledger_index": 91, "fee_base": 10,
                         "reserve_base": 1000000, "reserve_inc": 200000,
                         "validated_ledgers": "32570-91"}),
    "account-info": env(3, {"account_data": {"Account": ADDR_S, "Balance": "99999988",
                                             "Sequence": 5, "OwnerCount": 1},
                            "ledger_index": 91, "validated": True}),
    "account-channels": env(4, {"account": ADDR_S, "channels": [
        {"channel_id": CHAN, "account": ADDR_S, "destination_account": ADDR_E,
         "amount": "1000000", "balance": "1000", "settle_delay": 86400,
         "public_key": "aB44YfzW24VDEJQ2UuLPV2PvqcPCSoLnL7y5M1EzhdW4LnK5xMS3",
         "public_key_hex": PUB_S, "expiration": 700000000}],
        "marker": {"a": [1, "x"]}, "ledger_index": 91, "validated": True}),
    "fee": env(5, {"drops": {"base_fee": "10", "open_ledger_fee": "10",
                             "median_fee": "5000", "minimum_fee": "10"}}),
    "submit": env(6, {"engine_result": "tesSUCCESS", "engine_result_code": 0,
                      "tx_blob": "12", "tx_json": signed}),
    "tx": env(7, dict(signed, hash="AB" * 32, ledger_index=95, validated=True,
                      meta={"TransactionResult": "tesSUCCESS"})),
    "error": {"id": 8, "type": "response", "status": "error", "error": "txnNotFound",
              "error_message": "Transaction not found.", "request": {"command": "tx"}},
    "ledger-closed": {"type": "ledgerClosed", "ledger_index": 96, "ledger_hash": "CD" * 32,
                      "ledger_time": 780000000, "fee_base": 10, "reserve_base": 1000000,
                      "reserve_inc": 200000, "txn_count": 1, "validated_ledgers": "1-96"},
    "transaction-stream": {"type": "transaction", "validated": True, "ledger_index": 96,
                           "engine_result": "tesSUCCESS", "transaction": signed,
                           "meta": {"TransactionResult": "tesSUCCESS", "TransactionIndex": 0}},
    "transaction-stream-v2": {"type": "transaction", "validated": True, "ledger_index": 96,
                              "tx_json": signed, "hash": "AB" * 32,
                              "meta": {"TransactionResult": "tecNO_DST"}},
    "u64-edges": {"a": 18446744073709551615, "b": "18446744073709551615",
                  "c": "18446744073709551616", "d": -1, "e": "0000000000000000000001",
                  "f": "4294967296", "g": 4294967295, "h": "+1", "i": " 1", "j": "",
                  "k": 1.5, "l": True, "m": None},
    "array": [env(1, {})],
}.items():
    write("rippled_frame", name, v)
write("rippled_frame", "dup-id", '{"id":1,"id":2,"type":"response"}')
write("rippled_frame", "not-json", "HTTP/1.1 400 Bad Request\r\n\r\n")

# ---- http --------------------------------------------------------------
# One connection's bytes: requests the REST API gets, pipelines, chunked
# bodies, and what the parser must refuse.
QTY = '{"amount":"1","scale":0}'


def post(path, body, *headers):
    h = "".join(x + "\r\n" for x in headers)
    return ("POST %s HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path, h, len(body.encode()), body))


def chunked(path, chunks, trailer="", *headers):
    h = "".join(x + "\r\n" for x in headers)
    body = "".join("%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return ("POST %s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n%s\r\n%s0\r\n%s\r\n"
            % (path, h, body, trailer))


SETTLE = post("/accounts/alice/settlements", QTY,
              "Content-Type: application/json", "Idempotency-Key: k1")
for name, v in {
    "get-health": "GET /health HTTP/1.1\r\nHost: localhost:7771\r\n\r\n",
    "settle": SETTLE,
    "create-account": post("/accounts", '{"id":"alice"}',
                           "Content-Type: application/json; charset=utf-8"),
    "delete-account": "DELETE /accounts/alice HTTP/1.1\r\nHost: x\r\n\r\n",
    "message": post("/accounts/alice/messages", '{"type":"ping"}',
                    "Content-Type: application/octet-stream"),
    "pipelined": "GET /health HTTP/1.1\r\n\r\n" + SETTLE + SETTLE.replace("k1", "k2") +
                 "DELETE /accounts/bob HTTP/1.1\r\n\r\n",
    "chunked": chunked("/accounts/alice/settlements", ['{"amo', 'unt":"1","', 'scale":0}'],
                       "Trailer-One: x\r\n", "Idempotency-Key: ch1",
                       "Content-Type: application/json"),
    "chunked-ext": "POST /c HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                   "5;name=value;x\r\nhello\r\nA \r\n0123456789\r\n000\r\n\r\n"
                   "GET /after HTTP/1.1\r\n\r\n",
    "chunked-bad-size": "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "chunked-bad-crlf": "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n",
    "chunked-huge": "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffff\r\n",
    "chunked-trailers": chunked("/t", ["abc"], "A: 1\r\nB: 2\r\nC: 3\r\n"),
    "chunked-http10": "POST /c HTTP/1.0\r\nConnection: keep-alive\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nGET /x HTTP/1.0\r\n\r\n",
    "te-gzip": "POST /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "te-and-cl": "POST /c HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "cl-dup-same": "POST /d HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nhi",
    "cl-dup-differ": "POST /d HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nhi",
    "cl-negative": "POST /d HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    "cl-overflow": "POST /d HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
    "cl-over-cap": "POST /d HTTP/1.1\r\nContent-Length: 65537\r\n\r\n",
    "cl-leading-zeros": "POST /d HTTP/1.1\r\nContent-Length: 0003\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
    "cl-list": "POST /d HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx",
    "expect": "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "expect-http10": "POST /e HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "expect-bad": "POST /e HTTP/1.1\r\nExpect: 200-ok\r\n\r\n",
    "http10": "GET /health HTTP/1.0\r\n\r\nGET /health HTTP/1.0\r\n\r\n",
    "http10-keepalive": "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
    "connection-close": "GET /a HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
    "head": "HEAD /health HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n",
    "head-chunked-bad": "HEAD /h HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n",
    "methods": "".join("%s /m HTTP/1.1\r\n\r\n" % m for m in
                       ("GET", "PUT", "PATCH", "OPTIONS", "get", "BREW", "X-Y!")),
    "bad-method": "G@T / HTTP/1.1\r\n\r\n",
    "bad-version": "GET /health HTTP/2.0\r\n\r\n",
    "bad-version-lower": "GET /health http/1.1\r\n\r\n",
    "no-version": "GET /health\r\n\r\n",
    "absolute-form": "GET http://x/health HTTP/1.1\r\n\r\n",
    "asterisk": "OPTIONS * HTTP/1.1\r\n\r\n",
    "percent-path": "GET /accounts/a%2Fb%00?q=%20&r HTTP/1.1\r\n\r\nGET /a/../b/./c//?x HTTP/1.1\r\n\r\n",
    "query-ctl": "GET /q?a\x01 HTTP/1.1\r\n\r\n",
    "no-colon": "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
    "space-before-colon": "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "obs-fold": "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
    "bare-cr": "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
    "bare-lf": "GET / HTTP/1.1\nHost: x\n\n",
    "lf-in-value": "GET / HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\nhello",
    "dup-idem-key": "POST /p HTTP/1.1\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\n\r\n",
    "empty-values": "POST /p HTTP/1.1\r\nIdempotency-Key:\r\nContent-Type: \t \r\n\r\n",
    "value-blanks": "POST /p HTTP/1.1\r\nIdempotency-Key: \t k \t\r\nX: caf\u00e9\r\n\r\n",
    "leading-crlf": "\r\n\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
    "header-near-limit": "GET / HTTP/1.1\r\nX: " + "a" * 3000 + "\r\n\r\n",
}.items():
    write("http", name, v.encode("latin-1") if isinstance(v, str) else v)
write("http", "nul-in-line", b"GET /a\x00b HTTP/1.1\r\n\r\n")
write("http", "nul-in-header", b"GET / HTTP/1.1\r\nX: y\x00z\r\n\r\n")
write("http", "nul-in-body", b"POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\na\x00\r\n")
write("http", "high-bytes", b"GET /caf\xc3\xa9 HTTP/1.1\r\nX: \xff\xfe\r\n\r\n")
write("http", "empty", b"")
# Over the 8192-byte limits (431): longer than scripts/fuzz's -max_len, so
# only the replay and long-input runs see them.
write("http", "header-over-limit",
      "GET / HTTP/1.1\r\nX: " + "a" * 8200 + "\r\n\r\nGET /next HTTP/1.1\r\n\r\n")
write("http", "header-no-end", "GET / HTTP/1.1\r\nX: " + "a" * 8200)
write("http", "trailer-over-limit",
      chunked("/t", ["abc"], "T: 1234\r\n" * 1000))
