"""``brickyard.Client(..., verify=...)`` against a ``brickyard serve`` with ``enable_tls``
and a certificate made in the test (a CA and a server certificate for 127.0.0.1)."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import brickyard
from conftest import Server, start_server


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(tmp: Path) -> tuple[Path, Path, Path]:
    """Writes a CA (``ca.pem``) and a server certificate for 127.0.0.1 and localhost
    that it signed (``server.pem``, ``server-key.pem``); returns the three paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Brickyard test CA"))
        .issuer_name(_name("Brickyard test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("brickyard test server"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = tmp / "ca.pem", tmp / "server.pem", tmp / "server-key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem, key_pem


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Path]]:
    """A server with ``enable_tls``, and the CA that signed its certificate.

    REQUESTS_CA_BUNDLE is set as on many machines: requests lets it override a
    session's ``verify``, which the client must not let happen."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    ca, cert, key = make_pki(tmp_path)
    srv = start_server(tmp_path, top={"enable_tls": True, "cert_file": str(cert), "key_file": str(key)})
    try:
        yield srv, ca
    finally:
        srv.stop()


def test_a_client_with_the_ca_connects(tls_server: tuple[Server, Path]) -> None:
    srv, ca = tls_server
    assert srv.url.startswith("https://127.0.0.1:"), srv.url
    with srv.client(verify=str(ca)) as c:
        assert c.hello() == "Hello from Heketi"
        cluster = c.cluster_create()
        assert c.cluster_list() == [cluster.id]


def test_a_client_without_the_ca_is_refused_with_a_clear_message(tls_server: tuple[Server, Path]) -> None:
    srv, _ = tls_server
    with srv.client() as c, pytest.raises(brickyard.BrickyardError) as raised:
        c.cluster_list()
    text = str(raised.value)
    assert text.startswith(f"the TLS certificate of the server at {srv.url} is not trusted ("), text
    assert text.endswith(
        "pass verify='ca.pem' (the CA certificate that signed it), or verify=False to skip the check"
    ), text


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_false_connects_without_checking(tls_server: tuple[Server, Path]) -> None:
    srv, _ = tls_server
    with srv.client(verify=False) as c:
        assert c.cluster_list() == []


def test_plain_http_to_the_https_port_is_no_answer(tls_server: tuple[Server, Path]) -> None:
    srv, ca = tls_server
    plain = srv.url.replace("https://", "http://", 1)
    with brickyard.Client(plain, "admin", "x", verify=str(ca)) as c, pytest.raises(brickyard.BrickyardError) as raised:
        c.cluster_list()
    assert str(raised.value).startswith(f"cannot reach {plain}: "), raised.value


def test_an_https_url_to_a_plain_server_says_so(server: Server) -> None:
    https = server.url.replace("http://", "https://", 1)
    with brickyard.Client(https, "admin", "x") as c, pytest.raises(brickyard.BrickyardError) as raised:
        c.cluster_list()
    text = str(raised.value)
    assert text.startswith(f"the server at {https} did not answer with TLS ("), text
    assert text.endswith("): does it serve plain HTTP? then use an http:// URL"), text
