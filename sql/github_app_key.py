#!/usr/bin/env python3
"""Print a GitHub App private key (PEM) for tests, JSON-quoted on one line.

A fresh RSA key pair, made for this run only (nothing real, nothing kept on
disk): its public half is registered with the mock (/_mock/oauth?kind=
github) for app APP_ID, installation INSTALLATION_ID and the owner ->
installation map INSTALLS ("acme:4242,widgets:5151").  The PEM starts with
the explanatory line "@CANARY@" (PEM readers skip text before BEGIN): the
SQL test replaces it with the security canary at run time.

usage: github_app_key.py MOCK_URL APP_ID INSTALLATION_ID INSTALLS [LIFETIME_S]
"""
import json
import sys
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

mock, app_id, inst, installs = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
lifetime = sys.argv[5] if len(sys.argv) > 5 else "3600"
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
# GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY") files
priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                         serialization.NoEncryption()).decode()
pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()
q = urllib.parse.urlencode({"kind": "github", "pubkey": pub, "app_id": app_id,
                            "installation_id": inst, "installs": installs, "lifetime": lifetime})
urllib.request.urlopen(mock + "/_mock/oauth?" + q).read()
print(json.dumps("@CANARY@\n" + priv))
