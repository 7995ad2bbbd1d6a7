#!/usr/bin/python3
"""Generate the sample JWKS and token file in data/ with freshly generated P-256 keys.

The private keys live only in this process: the sample tokens can be verified, never re-signed.
Runs with Debian's /usr/bin/python3 and python3-cryptography (scripts/install-deps.sh installs it).
Writes data/jwks.json, data/tokens.txt, data/sample-now.txt and data/README.md.
"""

import base64
import json
import os
import secrets
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# Evaluation time of the sample: 2026-11-02T10:00:00Z. Tokens are judged at this instant, so
# the demo output is the same whenever it runs.
NOW = 1793613600
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
MAX_TOKEN_BYTES = 64 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def public_jwk(key, kid):
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def raw_signature(key, signing_input: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign_bytes(key, header, payload_bytes: bytes) -> str:
    signing_input = (b64url_json(header) + "." + b64url(payload_bytes)).encode("ascii")
    return signing_input.decode("ascii") + "." + b64url(raw_signature(key, signing_input))


def sign(key, header, payload) -> str:
    return sign_bytes(key, header, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def claims(iat_offset=-600, lifetime=3600, **extra):
    payload = {
        "cid": str(secrets.randbelow(9 * 10**18) + 10**18),
        "crid": str(secrets.randbelow(9 * 10**18) + 10**18),
        "rclid": secrets.token_hex(32),
        "iat": NOW + iat_offset,
        "exp": NOW + iat_offset + lifetime,
    }
    payload.update(extra)
    return payload


def impossible_length(encoded: str) -> str:
    """Pads base64url text with 'A' to a length of 4k+1, which no byte string encodes to."""
    while len(encoded) % 4 != 1:
        encoded += "A"
    return encoded


def flip_last_signature_char(token: str) -> str:
    head, _, signature = token.rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    return head + "." + b64url(bytes(raw))


def main() -> int:
    key_a = ec.generate_private_key(ec.SECP256R1())
    key_b = ec.generate_private_key(ec.SECP256R1())
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [public_jwk(key_a, "ads-2026-10"), public_jwk(key_b, "ads-2026-11")]}
    header_a = {"alg": "ES256", "kid": "ads-2026-10", "typ": "JWT"}
    header_b = {"alg": "ES256", "kid": "ads-2026-11", "typ": "JWT"}

    valid_a = sign(key_a, header_a, claims())
    rows = [
        ("valid token signed with key ads-2026-10", valid_a),
        ("valid token signed with key ads-2026-11", sign(key_b, header_b, claims(-60))),
        ("valid token issued exactly at the evaluation time", sign(key_b, header_b, claims(0))),
        ("the first token again (a repeated token)", valid_a),
        ("valid token followed by trailing spaces and a CRLF line end",
         sign(key_a, header_a, claims(-30)) + "   \r"),
        (None, ""),
        ("malformed: only two parts", "eyJhbGciOiJFUzI1NiJ9.eyJjaWQiOiIxIn0"),
        ("bad_base64: the payload part has a length no base64url text can have",
         b64url_json(header_a) + "." + impossible_length(b64url_json(claims())) + "." + "A" * 86),
        ("bad_header: the header is a JSON array",
         b64url(b"[1,2]") + "." + b64url_json(claims()) + "." + "A" * 86),
        ("unsupported_header: crit names an extension",
         sign(key_a, {**header_a, "crit": ["exp"], "exp": 1}, claims())),
        ("alg_not_allowed: alg none, with a one-byte dummy signature part",
         b64url_json({"alg": "none", "typ": "JWT"}) + "." + b64url_json(claims()) + ".AA"),
        ("alg_not_allowed: HS256", b64url_json({"alg": "HS256", "kid": "ads-2026-10"}) + "."
         + b64url_json(claims()) + "." + b64url(secrets.token_bytes(32))),
        ("missing_kid: no kid while the JWKS holds two keys",
         sign(key_a, {"alg": "ES256", "typ": "JWT"}, claims())),
        ("unknown_kid: a kid that the JWKS does not have",
         sign(attacker, {**header_a, "kid": "ads-2099-01"}, claims())),
        ("bad_signature: one bit of the signature flipped", flip_last_signature_char(valid_a)),
        ("bad_signature: signed by another key under a known kid",
         sign(attacker, header_a, claims())),
        ("bad_payload: the payload is not JSON, though correctly signed",
         sign_bytes(key_a, header_a, b"not json")),
        ("bad_claim: exp is a string", sign(key_a, header_a, claims(exp="tomorrow"))),
        ("expired: exp passed an hour ago", sign(key_a, header_a, claims(-7200))),
        ("not_yet_valid: nbf is in an hour", sign(key_b, header_b, claims(nbf=NOW + 3600))),
        ("issued_in_future: iat is in ten minutes", sign(key_b, header_b, claims(600))),
        ("too_long: a record longer than the 64 KiB default limit", "x" * (MAX_TOKEN_BYTES + 100)),
    ]

    os.makedirs(DATA_DIR, exist_ok=True)
    with open(os.path.join(DATA_DIR, "jwks.json"), "w", encoding="ascii") as out:
        json.dump(jwks, out, indent=2)
        out.write("\n")
    with open(os.path.join(DATA_DIR, "tokens.txt"), "w", encoding="ascii", newline="") as out:
        for _, line in rows:
            out.write(line + "\n")
    with open(os.path.join(DATA_DIR, "sample-now.txt"), "w", encoding="ascii") as out:
        out.write(f"{NOW}\n")
    write_readme(rows)
    return 0


def write_readme(rows):
    lines = [
        "# Sample data",
        "",
        "Made by `scripts/make-sample-data.py` with freshly generated P-256 keys whose private",
        "halves were discarded. Rerunning the script replaces every file here with new keys.",
        "",
        "- `jwks.json`: two ES256 public keys, kids `ads-2026-10` and `ads-2026-11`.",
        "- `tokens.txt`: one record per line, as listed below.",
        f"- `sample-now.txt`: the evaluation time the sample is meant for ({NOW}, "
        "2026-11-02T10:00:00Z); pass it as `--now`.",
        "",
        "Payloads look like the real ones: `cid` and `crid` are strings of 19 digits, `rclid` is",
        "64 hex digits, and `iat` and `exp` are NumericDates one hour apart.",
        "",
        "| line | expected | what it shows |",
        "|---|---|---|",
    ]
    for number, (description, _) in enumerate(rows, start=1):
        if description is None:
            lines.append(f"| {number} | (blank) | a blank line: skipped and counted in the summary |")
            continue
        expected, _, rest = description.partition(":")
        if description.startswith("valid") or description.startswith("the first"):
            expected, rest = "valid", description
        lines.append(f"| {number} | `{expected}` | {rest.strip()} |")
    lines.append("")
    with open(os.path.join(DATA_DIR, "README.md"), "w", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
