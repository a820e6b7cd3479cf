#!/usr/bin/env python3
"""A Kubernetes-like HTTPS API that requires a client certificate, for the
kubeconfig test, and the kubeconfigs that reach it.

  kube_tls.py start DIR PORT   make a throwaway CA, a server certificate for
                               127.0.0.1 and two client certificates (one
                               from that CA, one self-signed), start the
                               mock API on https://127.0.0.1:PORT requiring a
                               client certificate from the CA, print JSON
                               {"good": kubeconfig, "rogue": ..., "noca": ...,
                               "multi": three contexts, two clusters,
                               "k8s": two contexts whose servers are the
                               recorded Kubernetes cluster on each mock}
  kube_tls.py stop DIR         stop it

Everything is made for this run in DIR (under the test run's directory,
removed with it): nothing real, no key in the repository.  Each kubeconfig
starts with the comment line "# @CANARY@", which the SQL test replaces with
the security canary at run time.
"""
import base64
import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cert(subject_key, cn, issuer_cert=None, issuer_key=None, ca=False, ip=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer_cert.subject if issuer_cert else name)
         .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(hours=2))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                            critical=False)
    return b.sign(issuer_key or subject_key, hashes.SHA256())


def pem_cert(c):
    return c.public_bytes(serialization.Encoding.PEM)


def pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def b64(b):
    return base64.b64encode(b).decode()


def kubeconfig(server, ca_pem, cert_pem, key_pem, user="cq-reader"):
    lines = ["# @CANARY@", "apiVersion: v1", "kind: Config", "current-context: test",
             "clusters:", "- name: test-cluster", "  cluster:", "    server: %s" % server]
    if ca_pem:
        lines.append("    certificate-authority-data: %s" % b64(ca_pem))
    lines += ["contexts:", "- name: test", "  context:", "    cluster: test-cluster",
              "    user: %s" % user,
              "- name: cloud", "  context: {cluster: test-cluster, user: gke-user}",
              "users:", "- name: %s" % user, "  user:",
              "    client-certificate-data: %s" % b64(cert_pem),
              "    client-key-data: %s" % b64(key_pem),
              "- name: gke-user", "  user:", "    exec:",
              "      apiVersion: client.authentication.k8s.io/v1beta1",
              "      command: gke-gcloud-auth-plugin"]
    return "\n".join(lines) + "\n"


def multi(tls_server, plain_server, ca_pem, cert_pem, key_pem, token, cloud=True):
    """Three contexts: "tls" (the TLS mock, client certificate), "plain"
    (the plain mock, a bearer token), "cloud" (an exec plugin; left out
    when not `cloud`)."""
    lines = ["# @CANARY@", "apiVersion: v1", "kind: Config", "current-context: tls",
             "clusters:",
             "- name: tls-cluster", "  cluster:", "    server: %s" % tls_server,
             "    certificate-authority-data: %s" % b64(ca_pem),
             "- name: plain-cluster", "  cluster:", "    server: %s" % plain_server,
             "contexts:",
             "- name: tls", "  context: {cluster: tls-cluster, user: cert-user}",
             "- name: plain", "  context: {cluster: plain-cluster, user: token-user}",
             ] + (["- name: cloud", "  context: {cluster: plain-cluster, user: gke-user}"] if cloud else []) + [
             "users:",
             "- name: cert-user", "  user:",
             "    client-certificate-data: %s" % b64(cert_pem),
             "    client-key-data: %s" % b64(key_pem),
             "- name: token-user", "  user:", "    token: %s" % token,
             "- name: gke-user", "  user:", "    exec:",
             "      apiVersion: client.authentication.k8s.io/v1beta1",
             "      command: gke-gcloud-auth-plugin"]
    return "\n".join(lines) + "\n"


def start(d, port):
    os.makedirs(d, exist_ok=True)
    ca_k = key()
    ca = cert(ca_k, "cq-test-ca", ca=True)
    srv_k = key()
    srv = cert(srv_k, "127.0.0.1", ca, ca_k, ip="127.0.0.1")
    cli_k = key()
    cli = cert(cli_k, "cq-reader", ca, ca_k)
    rogue_k = key()
    rogue = cert(rogue_k, "cq-rogue")
    for name, data in (("ca.pem", pem_cert(ca)), ("server.pem", pem_cert(srv)),
                       ("server.key", pem_key(srv_k))):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    top = os.environ.get("CQ_TOP") or os.path.join(os.path.dirname(__file__), "..")
    pidfile = os.path.join(os.environ.get("CQ_TEST_DIR", d), "mock-kube.pid")
    with open(os.path.join(d, "mock.err"), "wb") as err:
        subprocess.Popen(["/usr/bin/python3", os.path.join(top, "test", "mock", "mock_api.py"),
                          "--bind", "127.0.0.1", "--port", str(port), "--pidfile", pidfile,
                          "--tls-cert", os.path.join(d, "server.pem"),
                          "--tls-key", os.path.join(d, "server.key"),
                          "--tls-client-ca", os.path.join(d, "ca.pem")],
                         stdout=err, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(d, "pidfile"), "w") as f:
        f.write(pidfile)
    # wait until it answers over TLS with the good client certificate
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
    cp, kp = os.path.join(d, "c.pem"), os.path.join(d, "c.key")
    with open(cp, "wb") as f:
        f.write(pem_cert(cli))
    with open(kp, "wb") as f:
        f.write(pem_key(cli_k))
    ctx.load_cert_chain(cp, kp)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                    break
        except OSError:
            time.sleep(0.1)
    os.unlink(cp)
    os.unlink(kp)
    server = "https://127.0.0.1:%d" % port
    print(json.dumps({
        "good": kubeconfig(server, pem_cert(ca), pem_cert(cli), pem_key(cli_k)),
        "rogue": kubeconfig(server, pem_cert(ca), pem_cert(rogue), pem_key(rogue_k)),
        "noca": kubeconfig(server, None, pem_cert(cli), pem_key(cli_k)),
        "multi": multi(server, "http://127.0.0.1:18080", pem_cert(ca), pem_cert(cli),
                       pem_key(cli_k), "cq-ctx-plain-token-1b7e"),
        # the Kubernetes source's own tables: both clusters serve the
        # recorded demo cluster (test/fixtures/kubernetes/demo.json)
        "k8s": multi(server + "/replay/kubernetes/demo",
                     "http://127.0.0.1:18080/replay/kubernetes/demo", pem_cert(ca), pem_cert(cli),
                     pem_key(cli_k), "cq-ctx-plain-token-1b7e", cloud=False)}))


def stop(d):
    try:
        with open(os.path.join(d, "pidfile")) as f:
            pidfile = f.read().strip()
        with open(pidfile) as f:
            os.kill(int(f.read().strip()), signal.SIGTERM)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    if sys.argv[1] == "start":
        start(sys.argv[2], int(sys.argv[3]))
    else:
        stop(sys.argv[2])
