#!/usr/bin/env python3
"""Writes the same ES256 tokens as plain lines, NDJSON, CSV and gzip NDJSON, for
scripts/bench-formats.sh.

Usage: make-format-corpus.py COUNT FOLDER

FOLDER receives jwks.json (a fresh key, kid "bench"), tokens.txt, log.ndjson, log.csv and
log.ndjson.gz. Every 7th token has an altered signature and every 11th record holds text that
is no token, so the verdicts are not all alike. Tokens are valid at 2026-11-02T10:00:00Z
(1793613600); NDJSON and CSV records carry that time in "ts".
"""
import base64
import gzip
import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUE_TIME = 1793613600
EVENT_TIME = "2026-11-02T10:00:00Z"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_tokens(count: int, key) -> list:
    header = b64url(json.dumps({"alg": "ES256", "kid": "bench", "typ": "JWT"},
                               separators=(",", ":")).encode())
    tokens = []
    for i in range(count):
        if i % 11 == 5:
            tokens.append(f"not-a-token-{i}")
            continue
        payload = {"cid": f"{i:019d}", "crid": f"{i * 7919 % 10**19:019d}",
                   "rclid": os.urandom(32).hex(), "iat": ISSUE_TIME - 60,
                   "exp": ISSUE_TIME + 3600}
        signing_input = header + "." + b64url(json.dumps(payload, separators=(",", ":")).encode())
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        signature = bytearray(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        if i % 7 == 3:
            signature[10] ^= 1
        tokens.append(signing_input + "." + b64url(bytes(signature)))
    return tokens


def write_jwks(folder: str, key) -> None:
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "kid": "bench", "alg": "ES256", "use": "sig",
           "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}
    with open(os.path.join(folder, "jwks.json"), "w") as out:
        json.dump({"keys": [jwk]}, out)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    count, folder = int(sys.argv[1]), sys.argv[2]
    key = ec.generate_private_key(ec.SECP256R1())
    write_jwks(folder, key)
    tokens = make_tokens(count, key)
    with open(os.path.join(folder, "tokens.txt"), "w") as out:
        out.writelines(token + "\n" for token in tokens)
    ndjson = "".join(json.dumps({"order_id": f"o{i}", "ts": EVENT_TIME, "token": token},
                                separators=(",", ":")) + "\n"
                     for i, token in enumerate(tokens))
    with open(os.path.join(folder, "log.ndjson"), "w") as out:
        out.write(ndjson)
    with gzip.open(os.path.join(folder, "log.ndjson.gz"), "wt") as out:
        out.write(ndjson)
    with open(os.path.join(folder, "log.csv"), "w") as out:
        out.write("order_id,ts,note,token\n")
        out.writelines(f'o{i},{EVENT_TIME},"a, ""quoted"" note",{token}\n'
                       for i, token in enumerate(tokens))


if __name__ == "__main__":
    main()
