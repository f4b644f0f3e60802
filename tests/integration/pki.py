"""Throwaway certificates made with `openssl` at test time: a station CA, a rogue CA, server certificates for
127.0.0.1, and station client certificates. The security extension's tests (test_security.py) also make keys, CSRs
and chains in Python with the `cryptography` package: the helpers at the end."""

from __future__ import annotations

import base64
import datetime as dt
import ssl
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


def make_ca(directory: Path, name: str, days: int = 2) -> None:
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", str(days), "-subj", f"/CN={name} CA")


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


def make_station_pki(directory: Path) -> Path:
    """ca: a station CA valid for ten years (so that it never cuts short what it issues) that also signed the
    server certificate for 127.0.0.1."""
    make_ca(directory, "ca", days=3650)
    issue(directory, "server", "127.0.0.1", server=True)
    return directory


# ---------------------------------------------------------------------------------------------
# Keys, CSRs and chains in Python (the `cryptography` package)
# ---------------------------------------------------------------------------------------------


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_csr(key, common_name: str, organization: str | None = None) -> str:
    """A PEM CSR with subject CN (and O), signed by `key` with SHA-256, as a charger sends in SignCertificate."""
    names = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization is not None:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def to_pem(der: bytes, label: str) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def with_broken_signature(csr_pem: str) -> str:
    """The same CSR with one bit of its signature (the DER's last byte) flipped: it parses, but does not verify."""
    der = bytearray(x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return to_pem(bytes(der), "CERTIFICATE REQUEST")


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_der(key_or_cert) -> bytes:
    """The SubjectPublicKeyInfo of a private key, public key, certificate or CSR: equal iff the keys are."""
    public = key_or_cert.public_key() if hasattr(key_or_cert, "public_key") else key_or_cert
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificates(chain_pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(chain_pem.encode())


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def sign_csr(csr_pem: str, directory: Path, ca: str = "ca", days: int = 1) -> str:
    """A chain (leaf PEM, then the CA's PEM) for the CSR's subject and key, issued by the openssl-made CA `ca` in
    `directory`, as an operator's own CA would answer."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    ca_pem = (directory / f"{ca}.pem").read_text()
    ca_cert = x509.load_pem_x509_certificate(ca_pem.encode())
    ca_key = serialization.load_pem_private_key((directory / f"{ca}.key").read_bytes(), password=None)
    now = dt.datetime.now(dt.timezone.utc)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return leaf.public_bytes(serialization.Encoding.PEM).decode() + ca_pem
