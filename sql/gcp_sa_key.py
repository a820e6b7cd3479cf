#!/usr/bin/env python3
"""Print a GCP service account key file (JSON) for tests, on one line.

A fresh RSA key pair, made for this run only (nothing real, nothing kept on
disk): its public half is registered with the mock's token endpoint
(/_mock/oauth?kind=gcp), the JSON's token_uri points at the mock.
private_key_id is the placeholder @KID@: the SQL test replaces it with the
security canary at run time (the literal canary is in no file).

usage: gcp_sa_key.py MOCK_URL [LIFETIME_S]
"""
import json
import sys
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

mock = sys.argv[1].rstrip("/")
lifetime = sys.argv[2] if len(sys.argv) > 2 else "3600"
email = "cq-test@cq-test-project.iam.gserviceaccount.com"
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                         serialization.NoEncryption()).decode()
pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()
q = urllib.parse.urlencode({"kind": "gcp", "pubkey": pub, "email": email, "lifetime": lifetime})
urllib.request.urlopen(mock + "/_mock/oauth?" + q).read()
print(json.dumps({"type": "service_account", "project_id": "cq-test-project",
                  "private_key_id": "@KID@", "private_key": priv, "client_email": email,
                  "token_uri": mock + "/_oauth/gcp/token"}))
