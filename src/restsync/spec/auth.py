"""Normalize an ``auth`` section (the client's or an endpoint's).

Accepted forms (dlt's): a type name (``auth: bearer``), a mapping with ``type``, or a
mapping without ``type`` (restsync infers it from the keys; dlt's default is ``bearer``).
Every field the spec leaves out is looked up in configuration under ``credentials.<field>``,
as dlt does: environment ``SOURCES__<SOURCE>__CREDENTIALS__TOKEN`` ... ``CREDENTIALS__TOKEN``,
or a ``[sources.<source>.credentials]`` section of ``secrets.toml`` (see
:mod:`restsync.spec.values`). Required fields that nobody has are reported before any request;
optional ones keep their defaults. Secret fields are looked up as secrets, the others
(``username``, ``name``, ``access_token_url``...) as config values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from restsync.spec import model
from restsync.spec.context import Context
from restsync.spec.issues import RawPath, check_keys
from restsync.spec.refs import ConfigRef, SecretRef

CREDENTIALS = "credentials"
AUTH_UNSUPPORTED: dict[str, str] = {
    "session": "a custom requests session is not supported (restsync sends the token request "
               "itself)",
}
_LOCATION_ALIASES = {"param": "query"}


def _infer_auth_type(value: Mapping[str, Any]) -> str | None:
    if "refresh_token" in value:
        return "oauth2"
    if "access_token_url" in value:
        return "oauth2_client_credentials"
    if "token" in value:
        return "bearer"
    if "api_key" in value:
        return "api_key"
    if "username" in value or "password" in value:
        return "http_basic"
    return None


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or "SecretStr" in str(annotation)


def _from_configuration(out: dict[str, Any], atype: str, path: RawPath, ctx: Context) -> None:
    """Refer every field the spec leaves out to configuration ``credentials.<field>``."""
    for name, info in model.AUTHS.models[atype].model_fields.items():
        if name == "type" or name in out:
            continue
        kind = SecretRef if _is_secret(info.annotation) else ConfigRef
        required = info.is_required()
        out[name] = kind(f"{CREDENTIALS}.{name}", optional=not required)
        if required:
            env = f"{CREDENTIALS}__{name}".upper()
            ctx.infer((*path, name), f"`{name}` taken from configuration `{CREDENTIALS}.{name}` "
                                     f"(env SOURCES__<SOURCE>__{env} or {env}, or "
                                     f"[sources.<source>.{CREDENTIALS}] in secrets.toml)")


def normalize_auth(value: Any, path: RawPath, ctx: Context) -> dict[str, Any] | None:
    """Return the canonical auth dict, or ``None`` when absent/invalid."""
    if value is None:
        return None
    if isinstance(value, str):  # dlt's shorthand: a type name, credentials from configuration
        value = {"type": value}
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "auth is a type name or a mapping with a 'type' (one of "
                             + ", ".join(model.AUTHS.names) + ")")
        return None
    if "type" in value:
        atype = ctx.choice(value["type"], (*path, "type"), "auth type", model.AUTHS.names,
                           model.AUTHS.aliases)
        if atype is None:
            return None
    else:
        guessed = _infer_auth_type(value)
        if guessed is None:
            if any(k not in ("type", *AUTH_UNSUPPORTED) for k in value):
                ctx.issues.add(path, "auth has no 'type' and its keys name none; known: "
                                     + ", ".join(model.AUTHS.names))
                return None
            guessed = "bearer"  # dlt's default type
        atype = guessed
        ctx.infer((*path, "type"), f"auth type `{atype}` inferred from its keys")
    out = dict(value)
    out["type"] = atype
    if atype == "oauth2" and "access_token_url" in out:
        if "token_url" in out:
            ctx.issues.add((*path, "access_token_url"), "give either token_url or "
                                                        "access_token_url, not both")
        else:
            out["token_url"] = out.pop("access_token_url")
    if atype == "oauth2" and "refresh_token" not in out and len(out) > 1 \
            and "access_token_url" not in value:
        ctx.issues.add((*path, "refresh_token"),
                       "type oauth2 is the refresh-token grant and needs refresh_token; for "
                       "the client-credentials grant use type oauth2_client_credentials")
        return None
    location = out.get("location")
    if atype == "api_key" and isinstance(location, str) and location in _LOCATION_ALIASES:
        out["location"] = _LOCATION_ALIASES[location]
    known = list(model.AUTHS.models[atype].model_fields)
    bad = check_keys(out, known, path, ctx.issues, unsupported=AUTH_UNSUPPORTED,
                     what=f"{atype} auth key")
    out = {k: v for k, v in out.items() if k not in bad}
    if atype == "api_key":
        if "name" not in out:
            ctx.infer((*path, "name"), "key sent as `Authorization` (dlt's default name), unless "
                                       "configuration has credentials.name")
        if "location" not in out:
            ctx.infer((*path, "location"), "key sent in a header (dlt's default location)")
    if atype == "oauth2_client_credentials" and "access_token" in out:
        ctx.infer((*path, "access_token"), "access_token is not used: a token is requested "
                                           "before the first request (as dlt does)")
    _from_configuration(out, atype, path, ctx)
    return out
