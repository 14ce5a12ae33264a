"""The signature base of each scheme: the exact bytes a signature covers, built alike when
parsing an inbound signature and when signing an outbound request.

* cavage (draft-cavage-12): one ``name: value`` line per covered header or pseudo-header.
* RFC 9421 §2.5: one ``"component": value`` line per covered component, then
  ``"@signature-params"``; derived components (§2.2) come from the URL, fields from headers.
"""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote

import http_sf

from federation.signatures.values import InvalidSignature, MalformedSignature

DEFAULT_PORTS = {"http": ":80", "https": ":443"}
PLAIN_STRING = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")  # no quote, backslash, controls


def cavage_lines(
    covered: tuple[str, ...],
    method: str,
    target: str,
    host: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
) -> list[str]:
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1])
            if value is None:
                raise MalformedSignature(f"{name} is covered but the parameter is missing")
            lines.append(f"{name}: {value}")
        elif name == "host":
            lines.append(f"host: {headers.get('host') or host}")
        else:
            value = headers.get(name)
            if value is None:
                raise InvalidSignature(f"covered header {name!r} is missing")
            lines.append(f"{name}: {value}")
    return lines


def _authority(parts: SplitResult) -> str:
    authority = parts.netloc.rpartition("@")[2].lower()
    default_port = DEFAULT_PORTS.get(parts.scheme.lower())
    if default_port and authority.endswith(default_port):
        authority = authority[: -len(default_port)]
    return authority


def _query_param(parts: SplitResult, params: Mapping[str, Any]) -> str:
    name = params.get("name")
    if set(params) != {"name"} or not isinstance(name, str):
        raise MalformedSignature('@query-param needs exactly a string "name" parameter')
    values = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _form(k) == name]
    if len(values) != 1:
        raise InvalidSignature(f"query parameter {name!r} is absent or repeated")
    return _form(values[0])


def _form(value: str) -> str:
    # RFC 9421 §2.2.8: re-encode with the HTML form percent-encode set, spaces as %20.
    return quote(value, safe="*").replace("~", "%7E")


def _derived(
    name: str,
    params: Mapping[str, Any],
    method: str,
    url: str,
    parts: SplitResult | None,
    status: int | None,
) -> str:
    if name == "@status":
        if status is None:
            raise MalformedSignature("@status is only valid in a response signature")
        return str(status)
    if parts is None:
        raise MalformedSignature(f"{name} is not supported in a response signature")
    if name == "@query-param":
        return _query_param(parts, params)
    if params:
        raise MalformedSignature(f"unsupported parameters on {name}")
    path = parts.path or "/"
    if name == "@method":
        return method
    if name == "@target-uri":
        return url
    if name == "@authority":
        return _authority(parts)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@path":
        return path
    if name == "@query":
        return "?" + parts.query
    if name == "@request-target":
        return f"{path}?{parts.query}" if parts.query else path
    raise MalformedSignature(f"unsupported derived component {name}")


def _field(name: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    value = headers.get(name)
    if value is None:
        raise InvalidSignature(f"covered field {name!r} is missing")
    if not params:
        return value
    try:
        if "key" in params and set(params) <= {"key", "sf"}:
            members = http_sf.parse(value.encode(), tltype="dictionary")
            assert isinstance(members, dict)
            return http_sf.ser([members[params["key"]]])
        if set(params) == {"sf"}:
            tltype = "dictionary" if name == "content-digest" else None
            return http_sf.ser(http_sf.parse(value.encode(), name=name, tltype=tltype))
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedSignature(f"covered field {name!r} cannot be read as requested") from exc
    raise MalformedSignature(f"unsupported parameters on field {name!r}")


def _ser_item(value: Any, params: Mapping[str, Any]) -> str:
    """Structured-field serialisation, fast for the plain strings/integers signatures carry."""
    if type(value) is str and PLAIN_STRING.fullmatch(value):
        return f'"{value}"{_ser_params(params)}'
    if type(value) is int:
        return f"{value}{_ser_params(params)}"
    return http_sf.ser((value, {})) + _ser_params(params)


def _ser_params(params: Mapping[str, Any]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={_ser_item(v, {})}" for k, v in params.items())


def ser_inner(inner: tuple[list[Any], dict[str, Any]]) -> str:
    return "(" + " ".join(_ser_item(*item) for item in inner[0]) + ")" + _ser_params(inner[1])


def rfc9421_base(
    inner: tuple[list[Any], dict[str, Any]],
    method: str,
    url: str,
    parts: SplitResult | None,
    headers: Mapping[str, str],
    status: int | None,
) -> tuple[bytes, tuple[str, ...]]:
    """The RFC 9421 §2.5 signature base for the inner list ``inner``, and its covered ids."""
    lines, covered, seen = [], [], set()
    for item in inner[0]:
        name, params = item
        if not isinstance(name, str) or name != name.lower():
            raise MalformedSignature("component identifiers must be lowercase strings")
        ident = _ser_item(name, params)
        if ident in seen:
            raise MalformedSignature(f"component {ident} is covered twice")
        seen.add(ident)
        if name.startswith("@"):
            value = _derived(name, params, method, url, parts, status)
        else:
            value = _field(name, params, headers)
        if "\n" in value or "\r" in value:
            raise MalformedSignature(f"component {ident} contains a newline")
        lines.append(f"{ident}: {value}")
        covered.append(name + _ser_params(params) if params else name)
    lines.append('"@signature-params": ' + ser_inner(inner))
    try:
        return "\n".join(lines).encode("ascii"), tuple(covered)
    except UnicodeEncodeError as exc:
        raise MalformedSignature("signature base is not ASCII") from exc
