"""Who is asking: API keys and JWT bearer tokens give a role; everything else is a clear 401.

Authentication happens before the store is touched, so these tests run on the embedded store
only (the role views themselves are tested on both stores in tests/schema/test_roles.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govgraph.api.app import create_app
from govgraph.api.auth import AuthConfigError, Authenticator, AuthError, mint_token
from govgraph.api.settings import Settings
from govgraph.cli.main import app as cli_app
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import WriteBatch
from govgraph.graph.privacy import Role

SECRET = "test-only-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"
OTHER_SECRET = "another-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"
API_KEY = "test-key-department"
# people through a branch's posts: what a researcher may reach too (pseudonymized)
PEOPLE = (
    '{ node(id: "PartyBranch:branch-1") { ... on PartyBranch { postHolders(first: 5) {'
    " edges { node { id ... on Person { name phone } } } } } } }"
)
COUNTS = "{ counts { nodes { kind count } } }"


def now() -> dt.datetime:
    # read at each use: the rejection table is built at import, long before a slow run ends
    return dt.datetime.now(dt.UTC)


def pem_public(private: Any) -> str:
    data: bytes = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def token(
    role: Any = "department",
    *,
    key: Any = SECRET,
    algorithm: str = "HS256",
    exp: dt.timedelta | None = dt.timedelta(days=1),
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    body: dict[str, Any] = {"iat": now(), **claims}
    if role is not None:
        body["role"] = role
    if exp is not None:
        body["exp"] = now() + exp
    return jwt.encode(body, key, algorithm=algorithm, headers=headers)


def unsigned(payload: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature, built by hand."""
    enc = jwt.utils.base64url_encode
    head = enc(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode()
    body = enc(json.dumps(payload).encode()).decode()
    return f"{head}.{body}."


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    nodes = [
        node("PartyBranch", "branch-1", name="示例党支部"),
        node("Person", "person-test-1", name="测试人员1", phone="000-0000-0001"),
        node("Person", "person-test-2", name="测试人员2", phone="000-0000-0002"),
    ]
    links = [
        link("HOLDS_POST", "person-test-1", "branch-1", role="secretary"),
        link("HOLDS_POST", "person-test-2", "branch-1", role="committee_member"),
    ]
    asyncio.run(s.apply(WriteBatch(nodes=nodes, links=links)))
    return s


def client_for(store: EmbeddedStore, **overrides: Any) -> TestClient:
    values: dict[str, Any] = {"api_keys": {API_KEY: Role.DEPARTMENT}, **overrides}
    return TestClient(create_app(Settings(**values), store=store))


@pytest.fixture(scope="module")
def client(store: EmbeddedStore) -> Iterator[TestClient]:
    with client_for(store, jwt_secret=SECRET, jwt_audience="govgraph", jwt_issuer="test") as c:
        yield c


def ask(client: TestClient, q: str, headers: dict[str, str]) -> Any:
    return client.post("/graphql", json={"query": q}, headers=headers)


def holders(r: Any) -> list[dict[str, Any]]:
    """The post holders of a PEOPLE answer, in link order."""
    assert r.status_code == 200, r.text
    found = r.json()["data"]["node"]
    assert found is not None, r.text
    return [e["node"] for e in found["postHolders"]["edges"]]


def bearer(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


GOOD = {"aud": "govgraph", "iss": "test"}


# --- roles from tokens ----------------------------------------------------------------------------
def test_department_token_sees_names(client: TestClient) -> None:
    r = ask(client, PEOPLE, bearer(token("department", **GOOD)))
    assert holders(r)[0] == {
        "id": "Person:person-test-1",
        "name": "测试人员1",
        "phone": "000-0000-0001",
    }


def test_researcher_token_gets_pseudonyms(client: TestClient) -> None:
    r = ask(client, PEOPLE, bearer(token("researcher", **GOOD)))
    assert len(holders(r)) == 2
    for p in holders(r):
        assert p["id"].startswith("Person:anon-")
        assert p["name"] is None and p["phone"] is None
    assert "测试人员" not in r.text


def test_public_token_gets_aggregates_only(client: TestClient) -> None:
    t = token("public", **GOOD)
    counts = ask(client, COUNTS, bearer(t)).json()
    assert {"kind": "Person", "count": 2} in counts["data"]["counts"]["nodes"]
    refused = ask(client, PEOPLE, bearer(t)).json()
    assert refused["data"] == {"node": None}
    assert "public" in refused["errors"][0]["message"]


def test_nested_role_claim(store: EmbeddedStore) -> None:
    t = jwt.encode(
        {"exp": now() + dt.timedelta(minutes=5), "realm": {"role": "researcher"}}, SECRET
    )
    with client_for(store, jwt_secret=SECRET, jwt_role_claim="realm.role") as c:
        r = ask(c, PEOPLE, bearer(t))
    assert holders(r)[0]["name"] is None


def test_clock_skew_within_the_leeway_is_accepted(client: TestClient) -> None:
    t = token("department", exp=dt.timedelta(seconds=-5), **GOOD)
    assert ask(client, COUNTS, bearer(t)).status_code == 200


@pytest.mark.parametrize(
    ("private", "algorithm"), [(RSA_KEY, "RS256"), (EC_KEY, "ES256"), (RSA_KEY, "PS256")]
)
def test_tokens_signed_with_a_private_key(
    store: EmbeddedStore, tmp_path: Path, private: Any, algorithm: str
) -> None:
    pem = tmp_path / "public.pem"
    pem.write_text(pem_public(private))
    algorithms = ["RS256", "PS256", "ES256"]
    with client_for(store, jwt_public_key=str(pem), jwt_algorithms=algorithms) as c:
        r = ask(c, PEOPLE, bearer(token("department", key=private, algorithm=algorithm)))
        assert holders(r)[0]["name"] == "测试人员1"


def test_public_key_as_pem_text_on_one_line(store: EmbeddedStore) -> None:
    one_line = pem_public(RSA_KEY).replace("\n", "\\n")  # as an environment variable holds it
    with client_for(store, jwt_public_key=one_line) as c:
        t = token("researcher", key=RSA_KEY, algorithm="RS256")
        assert ask(c, COUNTS, bearer(t)).status_code == 200


# --- API keys still work --------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_api_keys_still_work(client: TestClient, header: str) -> None:
    value = API_KEY if header == "X-API-Key" else f"Bearer {API_KEY}"
    r = ask(client, PEOPLE, {header: value})
    assert holders(r)[0]["name"] == "测试人员1"


def test_no_credentials_is_the_anonymous_role(client: TestClient) -> None:
    r = ask(client, PEOPLE, {})
    assert r.status_code == 200
    assert r.json()["data"] == {"node": None}


# --- rejections -----------------------------------------------------------------------------------
REJECTED: dict[str, tuple[str, str]] = {
    "alg none": (unsigned({"role": "department", **GOOD, "exp": 4102444800}), "algorithm 'none'"),
    "wrong key": (token("department", key=OTHER_SECRET, **GOOD), "signature does not verify"),
    "expired": (token("department", exp=dt.timedelta(minutes=-5), **GOOD), "expired"),
    "no exp": (token("department", exp=None, **GOOD), "'exp'"),
    "wrong audience": (token("department", aud="elsewhere", iss="test"), "audience"),
    "no audience": (token("department", iss="test"), "'aud'"),
    "wrong issuer": (token("department", aud="govgraph", iss="evil"), "issuer"),
    "unknown role": (token("admin", **GOOD), "one of public, researcher, department"),
    "role of another type": (token(["department"], **GOOD), "expected one of"),
    "no role": (token(None, **GOOD), "'role' is None"),
    "not valid yet": (token("department", nbf=now() + dt.timedelta(days=1), **GOOD), "not valid"),
    "algorithm not accepted": (
        token("department", algorithm="HS512", **GOOD),
        "'HS512' is not accepted",
    ),
    "public-key algorithm without a public key": (
        token("department", key=RSA_KEY, algorithm="RS256", **GOOD),
        "'RS256' is not accepted",
    ),
    "garbage in JWT shape": ("abc.def.ghi", "malformed"),
    "tampered payload": (
        token("researcher", **GOOD).split(".")[0]
        + "."
        + token("department", **GOOD).split(".")[1]
        + "."
        + token("researcher", **GOOD).split(".")[2],
        "signature",
    ),
    "unknown API key": ("no-such-key", "unknown API key"),
    "enormous bearer value": ("a" * 100_000, "longer than"),
}


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_with_401_and_a_clear_message(client: TestClient, case: str) -> None:
    bad, fragment = REJECTED[case]
    r = ask(client, PEOPLE, bearer(bad))
    assert r.status_code == 401, r.text
    detail = r.json()["detail"]
    assert fragment in detail, detail
    assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # the token is never echoed: not in the body, not in the headers
    signature = bad.rsplit(".", 1)[-1]
    for part in (bad, signature if len(signature) > 8 else bad):
        assert part not in r.text
        assert part not in json.dumps(dict(r.headers))


def test_algorithm_confusion_public_key_as_hmac_secret(store: EmbeddedStore) -> None:
    """An HS256 token 'signed' with the server's public key must not pass as RS256's key."""
    pem = pem_public(RSA_KEY)
    # PyJWT refuses PEM text as an HMAC key, so forge the signature by hand
    head = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = jwt.utils.base64url_encode(
        json.dumps({"role": "department", "exp": 4102444800}).encode()
    )
    sig = hmac.new(pem.encode(), head + b"." + body, hashlib.sha256).digest()
    t = (head + b"." + body + b"." + jwt.utils.base64url_encode(sig)).decode()
    with client_for(store, jwt_public_key=pem, jwt_algorithms=["HS256", "RS256"]) as c:
        r = ask(c, PEOPLE, bearer(t))
    assert r.status_code == 401
    assert "'HS256' is not accepted" in r.json()["detail"]


def test_a_jwt_when_none_are_configured(store: EmbeddedStore) -> None:
    with client_for(store) as c:
        r = ask(c, COUNTS, bearer(token("department")))
    assert r.status_code == 401
    assert "accepts no JWT" in r.json()["detail"]


def test_an_unknown_api_key_header_is_401(client: TestClient) -> None:
    r = ask(client, COUNTS, {"X-API-Key": token("department", **GOOD)})
    assert r.status_code == 401  # the X-API-Key header takes keys only, never tokens
    assert r.json()["detail"] == "unknown API key"


# --- configuration that cannot work fails at start ------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"jwt_secret": "short"}, "at least 32 bytes"),
        ({"jwt_secret": SECRET, "jwt_algorithms": ["none"]}, "'none'"),
        ({"jwt_secret": SECRET, "jwt_algorithms": ["RS256"]}, "accepts none of"),
        ({"jwt_public_key": "/no/such/key.pem"}, "no file at"),
        ({"jwt_public_key": pem_public(EC_KEY), "jwt_algorithms": ["RS256"]}, "accepts none"),
    ],
)
def test_unusable_jwt_settings_fail_when_the_app_is_built(
    overrides: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(AuthConfigError, match=fragment):
        create_app(Settings(**overrides))


def test_authenticator_without_http() -> None:
    auth = Authenticator.from_settings(Settings(jwt_secret=SECRET))
    assert auth.role_of({"authorization": f"Bearer {token('researcher')}"}) is Role.RESEARCHER
    assert auth.role_of({}) is Role.PUBLIC
    with pytest.raises(AuthError, match="expired"):
        auth.role_of({"authorization": f"Bearer {token('researcher', exp=dt.timedelta(-1))}"})


# --- govgraph token -------------------------------------------------------------------------------
def test_minted_token_round_trips() -> None:
    t = mint_token(Role.RESEARCHER, SECRET, audience="govgraph", issuer="test", subject="dept-1")
    auth = Authenticator.from_settings(
        Settings(jwt_secret=SECRET, jwt_audience="govgraph", jwt_issuer="test")
    )
    assert auth.role_of({"authorization": f"Bearer {t}"}) is Role.RESEARCHER


def test_token_command(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGRAPH_JWT_SECRET", SECRET)
    monkeypatch.setenv("GOVGRAPH_JWT_AUDIENCE", "govgraph")
    r = CliRunner().invoke(cli_app, ["token", "researcher", "--hours", "1", "--subject", "x"])
    assert r.exit_code == 0, r.output
    t = r.output.strip()
    claims = jwt.decode(t, SECRET, algorithms=["HS256"], audience="govgraph")
    assert claims["role"] == "researcher" and claims["sub"] == "x"
    assert 3500 < claims["exp"] - claims["iat"] <= 3600
    with client_for(store, jwt_secret=SECRET, jwt_audience="govgraph") as c:
        r2 = ask(c, PEOPLE, bearer(t))
    assert holders(r2)[0]["name"] is None


def test_token_command_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVGRAPH_JWT_SECRET", raising=False)
    r = CliRunner().invoke(cli_app, ["token", "department"])
    assert r.exit_code == 1
    assert "GOVGRAPH_JWT_SECRET" in r.output


def test_token_command_refuses_an_unknown_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGRAPH_JWT_SECRET", SECRET)
    r = CliRunner().invoke(cli_app, ["token", "admin"])
    assert r.exit_code == 2
