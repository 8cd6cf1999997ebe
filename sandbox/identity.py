"""A Microsoft identity platform (Entra ID v2.0) endpoint for the client-credentials flow.

``azure-identity``'s ``ClientSecretCredential`` (through MSAL) first reads
``GET /{tenant}/v2.0/.well-known/openid-configuration`` — MSAL needs ``authorization_endpoint``
and ``token_endpoint`` from it and takes the tenant from the token endpoint's path — and then
``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, ``client_id``,
``client_secret`` and ``scope``. The answer is ``{"token_type": "Bearer", "expires_in": 3599,
"ext_expires_in": 3599, "access_token": ...}``. Failures use AAD's error document (``error``,
``error_description`` starting with the AADSTS code, ``error_codes``, ``timestamp``, ``trace_id``,
``correlation_id``) and AAD's status: 400 for an unknown tenant, client or grant, 401 for a wrong secret.

Access tokens are opaque random strings held in a :class:`TokenStore`; the Graph emulator checks
bearer tokens with :meth:`TokenStore.token_ok`. Token lifetime follows real time, not the sandbox
clock, so tests that move the sandbox clock through weeks keep the token the credential cached.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

TENANT_ID = "00000000-0000-0000-0000-000000000000"
CLIENT_ID = "11111111-1111-1111-1111-111111111111"
CLIENT_SECRET = "sandbox-planner-secret"
TOKEN_LIFETIME_SECONDS = 3599


class TokenStore:
    """Bearer tokens the identity endpoint issued, valid for their lifetime in real time."""

    def __init__(self, lifetime: float = TOKEN_LIFETIME_SECONDS) -> None:
        self._lock = threading.Lock()
        self._lifetime = lifetime
        self._tokens: dict[str, tuple[float, str]] = {}

    def issue(self, scope: str) -> str:
        """A new opaque access token for ``scope``."""
        token = "sandbox-at-" + secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: v for t, v in self._tokens.items() if v[0] > now}
            self._tokens[token] = (now + self._lifetime, scope)
        return token

    def token_ok(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        with self._lock:
            entry = self._tokens.get(token)
        return entry is not None and entry[0] > time.monotonic()

    def revoke_all(self) -> None:
        """Forget every token (tests of expired credentials)."""
        with self._lock:
            self._tokens.clear()


def _aad_error(status: int, error: str, code: int, description: str) -> Response:
    trace = str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": trace,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


class IdentityApp:
    """WSGI app of the identity platform for one tenant with one confidential client."""

    def __init__(
        self,
        tokens: TokenStore,
        *,
        tenant_id: str = TENANT_ID,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        on_request: Callable[[str], None] | None = None,
    ) -> None:
        self.tokens = tokens
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._on_request = on_request
        self._url_map = Map([
            Rule("/<tenant>/v2.0/.well-known/openid-configuration", endpoint="discovery", methods=["GET"]),
            Rule("/<tenant>/oauth2/v2.0/token", endpoint="token", methods=["POST"]),
        ])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one WSGI request."""
        request = Request(environ)
        adapter = self._url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException as exc:  # NotFound or MethodNotAllowed
            response = _aad_error(exc.code or 404, "invalid_request", 900561,
                                  f"The endpoint {request.method} {request.path} does not exist here; "
                                  "use GET …/v2.0/.well-known/openid-configuration or POST …/oauth2/v2.0/token.")
            return response(environ, start_response)
        if self._on_request is not None:
            template = "/{tenant}/v2.0/.well-known/openid-configuration" if endpoint == "discovery" \
                else "/{tenant}/oauth2/v2.0/token"
            self._on_request(f"{request.method} {template}")
        if args["tenant"] != self._tenant_id:
            response = _aad_error(400, "invalid_tenant", 90002,
                                  f"Tenant '{args['tenant']}' not found. Check to make sure you have the "
                                  "correct tenant ID and are signing into the correct cloud.")
        elif endpoint == "discovery":
            response = self._discovery(request, args["tenant"])
        else:
            response = self._token(request)
        return response(environ, start_response)

    def _discovery(self, request: Request, tenant: str) -> Response:
        base = request.host_url.rstrip("/") + "/" + tenant
        config = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": f"{request.host_url.rstrip('/')}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{request.host_url.rstrip('/')}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }
        return Response(json.dumps(config), content_type="application/json; charset=utf-8")

    def _token(self, request: Request) -> Response:
        form = request.form
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003,
                              f"The app requested an unsupported grant type '{grant}'; this sandbox "
                              "supports client_credentials only.")
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if request.authorization is not None and request.authorization.type == "basic":
            client_id = request.authorization.username or client_id
            secret = request.authorization.password or secret
        if client_id != self._client_id:
            return _aad_error(400, "unauthorized_client", 700016,
                              f"Application with identifier '{client_id}' was not found in the directory "
                              f"'{self._tenant_id}'.")
        if not secrets.compare_digest(secret.encode(), self._client_secret.encode()):
            return _aad_error(401, "invalid_client", 7000215,
                              "Invalid client secret provided. Ensure the secret being sent in the request "
                              f"is the client secret value, not the client secret ID, for a secret added to "
                              f"app '{self._client_id}'.")
        scope = form.get("scope", "")
        if not scope or not all(part.endswith("/.default") for part in scope.split()):
            return _aad_error(400, "invalid_scope", 1002012,
                              f"The provided value for scope {scope or '(none)'} is not valid. Client "
                              "credential flows must have a scope value with /.default suffixed to the "
                              "resource identifier (application ID URI).")
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": self.tokens.issue(scope),
        }
        return Response(json.dumps(body), content_type="application/json; charset=utf-8",
                        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})
