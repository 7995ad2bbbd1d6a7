#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer harnesses (tests/fuzz) into OUTPUT/<harness>/.

Seeds come from data/ (the sample tokens and JWKS) and, when present, ../shared/vectors (the
RFC 7515 A.3 example and the Wycheproof ECDSA P-256 vectors). Seed files are named seed-*, so
rerunning the script replaces them and keeps what libFuzzer added to the same folders.

Usage: scripts/make-fuzz-corpus.py OUTPUT
"""

import base64
import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
VECTORS = ROOT.parent / "shared" / "vectors"

# Byte that separates header and payload JSON in fuzz_signed_token inputs; never valid UTF-8.
JSON_SEPARATOR = b"\xff"


def b64url_encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url_decode(text: bytes):
    """Returns the decoded bytes, or None when `text` is not base64url."""
    try:
        return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except ValueError:
        return None


def write_seeds(output: Path, harness: str, seeds) -> int:
    folder = output / harness
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    unique = {hashlib.sha1(seed).hexdigest()[:16]: seed for seed in seeds}
    for name, seed in unique.items():
        (folder / f"seed-{name}").write_bytes(seed)
    return len(unique)


def read_optional(path: Path):
    if not path.exists():
        print(f"make-fuzz-corpus: warning: {path} not found, its seeds are left out",
              file=sys.stderr)
        return None
    return path.read_bytes()


def sample_tokens():
    return (DATA / "tokens.txt").read_bytes().split(b"\n")


def wycheproof_groups():
    text = read_optional(VECTORS / "ecdsa_secp256r1_sha256_p1363_test.json")
    return json.loads(text)["testGroups"] if text else []


def token_seeds(lines, rfc_token):
    seeds = []
    for line in lines:
        # The harness limit is 1024 bytes, so a 1500-byte cut of a long line is still too_long.
        seeds.append(line[:1500])
    seeds.append(b"\n".join(lines[:6]))
    seeds.append(lines[0] + b"\r\n" + lines[0] + b"\n" + lines[1])
    signing_input = lines[0].rsplit(b".", 1)[0]
    for group in wycheproof_groups():
        for test in group["tests"]:
            seeds.append(signing_input + b"." + b64url_encode(bytes.fromhex(test["sig"])))
    if rfc_token:
        seeds.append(rfc_token.strip())
    return seeds


def decode_token_json(token: bytes):
    parts = token.strip().split(b".")
    if len(parts) != 3:
        return None
    header, payload = b64url_decode(parts[0]), b64url_decode(parts[1])
    if not header or not payload:
        return None
    return header, payload


def signed_token_seeds(lines, rfc_token):
    pairs = [pair for pair in map(decode_token_json, lines[:21]) if pair]
    if rfc_token:
        pair = decode_token_json(rfc_token)
        if pair:
            pairs.append(pair)
    seeds = []
    for header, payload in pairs:
        for kid, key_bit in ((b"fuzz-1", 0), (b"fuzz-2", 4)):
            renamed = header.replace(b'"ads-2026-10"', b'"' + kid + b'"')
            renamed = renamed.replace(b'"ads-2026-11"', b'"' + kid + b'"')
            for policy in range(3):
                seeds.append(bytes([policy | key_bit, 0]) + renamed + JSON_SEPARATOR + payload)
            # Tampering: a flipped signature bit, then a replaced signing-input character.
            seeds.append(bytes([key_bit | 8, 77]) + renamed + JSON_SEPARATOR + payload)
            seeds.append(bytes([key_bit | 16, 13]) + renamed + JSON_SEPARATOR + payload)
    return seeds


def base64url_seeds(lines):
    seeds = [b"", b"A", b"AA", b"AAA", b"AAAA", b"AB", b"AQ", b"_-_-", b"YQ==", b"a+b/"]
    for line in lines[:21]:
        seeds.extend(line.strip().split(b".")[:3])
    return seeds


def jwks_seeds():
    seeds = [(DATA / "jwks.json").read_bytes()]
    rfc_jwks = read_optional(VECTORS / "rfc7515-a3" / "jwks.json")
    if rfc_jwks:
        seeds.append(rfc_jwks)
    keys = json.loads(seeds[0])["keys"]
    first = keys[0]
    variants = [
        {"keys": []},
        {"keys": [dict(first, d="AAAA")]},
        {"keys": [dict(first, kty="RSA", n="AQAB", e="AQAB")]},
        {"keys": [dict(first, crv="P-384")]},
        {"keys": [dict(first, use="enc"), keys[1]]},
        {"keys": [dict(first, key_ops=["sign"]), keys[1]]},
        {"keys": [dict(first, alg="RS256"), keys[1]]},
        {"keys": [first, dict(keys[1], kid=first["kid"])]},
        {"keys": [first, first]},
        {"keys": [dict(first, kid=7), keys[1]]},
        {"keys": [dict(first, x=first["x"][:-2])]},
    ]
    seeds.extend(json.dumps(variant).encode() for variant in variants)
    for group in wycheproof_groups()[:40]:
        jwk = group.get("publicKeyJwk")
        if jwk:
            seeds.append(json.dumps({"keys": [jwk]}).encode())
    return seeds


def line_reader_seeds(lines):
    text = b"\n".join(lines[:8])
    controls = [bytes([63, 0, 7]), bytes([31, 5, 2]), bytes([7, 1, 0]), bytes([0, 16, 3])]
    bodies = [
        text[:1500],
        b"\xef\xbb\xbf" + text[:600],
        text[:600].replace(b"\n", b"\r\n"),
        b"a\n\n  \t\r\nb \r\n\r\rc\rd\n\xef\xbb\xbf\n" + b" " * 80 + b"\n" + b"x" * 80,
        b"\x00\n\x00\x00 \n",
    ]
    return [control + body for control in controls for body in bodies]


def compressed_input_seeds(lines):
    text = b"\n".join(lines[:4]) + b"\n"
    seeds = []
    for mode in range(5):
        for parameter in (0, 1, 200):
            seeds.append(bytes([mode, parameter]) + text[:700])
    real_gzip = gzip.compress(text[:700])
    seeds.append(bytes([0, 0]) + real_gzip[2:])
    seeds.append(bytes([0, 3]) + real_gzip[2:] + real_gzip)
    seeds.append(bytes([0, 0]) + real_gzip[2:40])
    return seeds


def csv_record_seeds(lines):
    token = lines[0].strip()
    records = [
        b"source,line," + token + b",2026-11-02T10:00:00Z",
        b'"a,b","c""d",' + token,
        b'"",,"x\r\ny"',
        b'"unterminated',
        b'a"b,c',
        b'"a"b',
        b"",
    ]
    return [delimiter + record for delimiter in (b",", b"\t", b";") for record in records]


def ndjson_record_seeds(lines):
    token = lines[0].strip()
    return [
        b'{"token":"' + token + b'","ts":"2026-11-02T10:00:00Z","b":1}',
        b'{"token":"Bearer ' + token + b'","ts":1793613600,"a":[true,{"x":null}],"c/d":"k"}',
        b'{"token":" \\"' + token + b'\\" ","ts":"1793613600123","e~f":[0,{"g":"\\u00e9"}]}',
        b'{"token":null}',
        b'{"token":1,"token":2}',
        b'[1,2,3]',
        b'{"a":' + b'[' * 70 + b']' * 70 + b'}',
        b'{"token":"\\ud83d\\ude00"}',
    ]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    output = Path(sys.argv[1])
    lines = [line for line in sample_tokens() if line.strip()]
    rfc_token = read_optional(VECTORS / "rfc7515-a3" / "token.txt")
    corpora = {
        "token": token_seeds(lines, rfc_token),
        "signed_token": signed_token_seeds(lines, rfc_token),
        "base64url": base64url_seeds(lines),
        "jwks": jwks_seeds(),
        "line_reader": line_reader_seeds(lines),
        "compressed_input": compressed_input_seeds(lines),
        "csv_record": csv_record_seeds(lines),
        "ndjson_record": ndjson_record_seeds(lines),
    }
    for harness, seeds in corpora.items():
        count = write_seeds(output, harness, seeds)
        print(f"make-fuzz-corpus: {harness}: {count} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
