#!/usr/bin/env python3
"""Send one SharedKey-signed request to Azurite (stdlib only).

Usage: azure_sharedkey.py METHOD URL [BODY]
  URL is path-style: http://127.0.0.1:PORT/ACCOUNT/container[/blob][?query]
  A PUT with a path below the container uploads BODY as a block blob.
Prints the response body; exits 1 on an HTTP error.
The account and key default to Azurite's well-known public dev account.
"""
import base64
import hashlib
import hmac
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.utils import formatdate

ACCOUNT = os.environ.get("HARMONY_TEST_AZURE_ACCOUNT", "devstoreaccount1")
KEY = os.environ.get(
    "HARMONY_TEST_AZURE_KEY",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
)


def main():
    method, url = sys.argv[1].upper(), sys.argv[2]
    body = sys.argv[3].encode() if len(sys.argv) > 3 else b""
    u = urllib.parse.urlsplit(url)
    headers = {
        "x-ms-date": formatdate(usegmt=True),
        "x-ms-version": "2021-08-06",
        "Content-Type": "application/octet-stream",
    }
    # A blob PUT (path deeper than /account/container) is a block-blob upload.
    if method == "PUT" and u.path.strip("/").count("/") >= 2 and "comp=" not in u.query:
        headers["x-ms-blob-type"] = "BlockBlob"
    data = body if method in ("PUT", "POST") else None
    length = str(len(body)) if body else ""  # empty for 0 since version 2015-02-21
    canon_headers = "".join(
        f"{k.lower()}:{v}\n" for k, v in sorted(headers.items()) if k.lower().startswith("x-ms-")
    )
    # Path-style: the resource is /ACCOUNT + the URL path (which holds ACCOUNT again).
    canon_resource = f"/{ACCOUNT}{u.path}"
    for k, vs in sorted(urllib.parse.parse_qs(u.query, keep_blank_values=True).items()):
        canon_resource += f"\n{k.lower()}:{','.join(sorted(vs))}"
    to_sign = "\n".join(
        [method, "", "", length, "", headers["Content-Type"], "", "", "", "", "", ""]
    ) + "\n" + canon_headers + canon_resource
    sig = base64.b64encode(
        hmac.new(base64.b64decode(KEY), to_sign.encode(), hashlib.sha256).digest()
    ).decode()
    headers["Authorization"] = f"SharedKey {ACCOUNT}:{sig}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            sys.stdout.buffer.write(resp.read())
    except urllib.error.HTTPError as e:
        sys.stderr.write(f"{method} {url}: HTTP {e.code}\n{e.read().decode(errors='replace')}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
