"""Throwaway certificates made with `openssl` at test time: a station CA, a rogue CA, server certificates for
127.0.0.1, and station client certificates."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path


def openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> None:
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name} CA")


def issue(directory: Path, name: str, common_name: str, ca: str = "ca", server: bool = False) -> None:
    openssl(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={common_name}")
    extensions = directory / f"{name}.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n" if server else "basicConstraints=CA:FALSE\n")
    openssl(directory, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", extensions.name)


def make_pki(directory: Path) -> Path:
    """ca: the stations' CA (and the servers'); rogue: a CA ocppd does not know. cp3 is CP-TLS-3's certificate;
    rogue-cp3 claims the same identity from the rogue CA."""
    make_ca(directory, "ca")
    make_ca(directory, "rogue")
    issue(directory, "server", "127.0.0.1", server=True)
    issue(directory, "server-renewed", "127.0.0.1", server=True)
    issue(directory, "cp3", "CP-TLS-3")
    issue(directory, "other-cp", "CP-SOMEONE-ELSE")
    issue(directory, "rogue-cp3", "CP-TLS-3", ca="rogue")
    return directory


def client_tls(pki: Path, certificate: str | None = None) -> ssl.SSLContext:
    """A client context that trusts the test CA and, if named, presents that client certificate."""
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if certificate:
        context.load_cert_chain(pki / f"{certificate}.pem", pki / f"{certificate}.key")
    return context
