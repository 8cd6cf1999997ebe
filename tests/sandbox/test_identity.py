"""The identity platform endpoint, driven by the real ``azure-identity`` ``ClientSecretCredential``."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from okr_sync.sandbox.server import Sandbox

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def credential(sb: Sandbox, **overrides: str) -> ClientSecretCredential:
    planner = {**sb.info["planner"], **overrides}
    return ClientSecretCredential(
        planner["tenant_id"], planner["client_id"], planner["client_secret"],
        authority=planner["authority"], disable_instance_discovery=True,
        connection_verify=planner["ca_cert"],
    )


@pytest.fixture
def identity_sandbox(stubs: dict[str, Any]) -> Iterator[Sandbox]:
    with Sandbox("empty", emulator_factories=stubs) as sb:
        yield sb


def test_client_secret_credential_gets_a_token_the_graph_emulator_accepts(identity_sandbox: Sandbox) -> None:
    with credential(identity_sandbox) as cred:
        token = cred.get_token(GRAPH_SCOPE)
    assert token.token.startswith("sandbox-at-")
    assert identity_sandbox.tokens.token_ok(token.token)
    assert not identity_sandbox.tokens.token_ok("sandbox-at-forged")
    assert identity_sandbox.emulators["planner"].kwargs["token_ok"](token.token)
    counts = identity_sandbox.requests.to_json()
    assert counts["identity"]["by_route"] == {
        "GET /{tenant}/v2.0/.well-known/openid-configuration": 1,
        "POST /{tenant}/oauth2/v2.0/token": 1,
    }
    assert counts["total"] == 0  # identity calls are not tracker requests


def test_token_survives_the_sandbox_clock_moving_weeks(identity_sandbox: Sandbox) -> None:
    with credential(identity_sandbox) as cred:
        token = cred.get_token(GRAPH_SCOPE).token
    identity_sandbox.clock.advance(21 * 86400)
    assert identity_sandbox.tokens.token_ok(token)
    identity_sandbox.tokens.revoke_all()
    assert not identity_sandbox.tokens.token_ok(token)


@pytest.mark.parametrize(("override", "code"), [
    ({"client_secret": "not-the-secret"}, "AADSTS7000215"),
    ({"client_id": "22222222-2222-2222-2222-222222222222"}, "AADSTS700016"),
    # MSAL turns the 400 invalid_tenant of the discovery document into its own message
    ({"tenant_id": "99999999-9999-9999-9999-999999999999"}, "double check your tenant name"),
], ids=["wrong-secret", "unknown-client", "unknown-tenant"])
def test_bad_credentials_fail_as_entra_id_does(
    identity_sandbox: Sandbox, override: dict[str, str], code: str
) -> None:
    with credential(identity_sandbox, **override) as cred, pytest.raises(ClientAuthenticationError) as err:
        cred.get_token(GRAPH_SCOPE)
    assert code in str(err.value)
    assert "not-the-secret" not in str(err.value)


def _post_token(sb: Sandbox, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    planner = sb.info["planner"]
    context = ssl.create_default_context(cafile=planner["ca_cert"])
    url = f"{planner['authority']}/{planner['tenant_id']}/oauth2/v2.0/token"
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_token_endpoint_error_shapes_and_statuses(identity_sandbox: Sandbox) -> None:
    good = {"grant_type": "client_credentials", "client_id": "11111111-1111-1111-1111-111111111111",
            "client_secret": "sandbox-planner-secret", "scope": GRAPH_SCOPE}
    status, body = _post_token(identity_sandbox, good)
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["access_token"]
    status, body = _post_token(identity_sandbox, {**good, "client_secret": "wrong"})
    assert status == 401 and body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215:") and body["error_codes"] == [7000215]
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
    status, body = _post_token(identity_sandbox, {**good, "grant_type": "password"})
    assert status == 400 and body["error"] == "unsupported_grant_type"
    status, body = _post_token(identity_sandbox, {**good, "scope": "Tasks.ReadWrite"})
    assert status == 400 and body["error"] == "invalid_scope"


def test_discovery_document_points_at_this_listener(identity_sandbox: Sandbox) -> None:
    planner = identity_sandbox.info["planner"]
    context = ssl.create_default_context(cafile=planner["ca_cert"])
    url = f"{planner['authority']}/{planner['tenant_id']}/v2.0/.well-known/openid-configuration"
    with urllib.request.urlopen(url, context=context, timeout=5) as response:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        config = json.loads(response.read())
    base = f"{planner['authority']}/{planner['tenant_id']}"
    assert config["token_endpoint"] == base + "/oauth2/v2.0/token"
    assert config["authorization_endpoint"] == base + "/oauth2/v2.0/authorize"
    assert config["issuer"] == base + "/v2.0"


def test_the_certificate_is_only_trusted_with_the_sandbox_ca(identity_sandbox: Sandbox) -> None:
    planner = identity_sandbox.info["planner"]
    url = f"{planner['authority']}/{planner['tenant_id']}/v2.0/.well-known/openid-configuration"
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(url, context=ssl.create_default_context(), timeout=5)


def test_unknown_tenant_discovery_is_400_invalid_tenant(identity_sandbox: Sandbox) -> None:
    planner = identity_sandbox.info["planner"]
    context = ssl.create_default_context(cafile=planner["ca_cert"])
    url = f"{planner['authority']}/not-a-tenant/v2.0/.well-known/openid-configuration"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, context=context, timeout=5)
    with err.value:
        assert err.value.code == 400
        body = json.loads(err.value.read())
    assert body["error"] == "invalid_tenant"
    assert body["error_description"].startswith("AADSTS90002: Tenant 'not-a-tenant' not found.")


def test_wrong_method_and_unknown_path_get_aad_errors(identity_sandbox: Sandbox) -> None:
    planner = identity_sandbox.info["planner"]
    context = ssl.create_default_context(cafile=planner["ca_cert"])
    for url, expected in ((f"{planner['authority']}/{planner['tenant_id']}/oauth2/v2.0/token", 405),
                          (f"{planner['authority']}/common/discovery/instance", 404)):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url, context=context, timeout=5)
        with err.value:
            assert err.value.code == expected
            assert json.loads(err.value.read())["error"] == "invalid_request"
