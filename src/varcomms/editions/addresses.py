"""Only public addresses for the link checker (F20: no blind requests into the network).

A link in an edition is whatever a feed or an editor wrote. Checking it must not make
the machine that runs varcomms request ``http://127.0.0.1:8080/admin?delete=all``, a
cloud metadata address (169.254.169.254) or a host on the office network. The check is
made on the address a connection actually goes to, after DNS resolution and for every
redirect hop, by the connection class itself: a name that resolves to a private address,
or re-resolves to one later (DNS rebinding), is refused as well.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address: not loopback, private, link-local, shared,
    reserved, multicast or unspecified (also when wrapped in IPv6)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address in _NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast


class BlockedAddressError(NewConnectionError):
    """The host resolves only to addresses the policy refuses; nothing was sent."""


def _guarded(base: type[HTTPConnection], allow: AddressPolicy) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            try:
                infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror as err:
                raise NameResolutionError(self.host, self, err) from err
            refused = ""
            for *_, sockaddr in infos:
                address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
                if not allow(address):
                    refused = refused or str(address)
                    continue
                # Connect to the address that was checked, never to a fresh lookup;
                # TLS still verifies the certificate against the host name.
                return connection.create_connection(
                    (str(address), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            raise BlockedAddressError(
                self, f"{self.host} resolves to {refused}, a local or private address"
            )

    return Guarded


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose connections go only to addresses ``allow`` accepts."""

    def __init__(self, allow: AddressPolicy = is_public, **kwargs: Any) -> None:
        self.allow = allow
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type(
            "GuardedHTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": _guarded(HTTPConnection, self.allow)},
        )
        https = type(
            "GuardedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded(HTTPSConnection, self.allow)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def blocked_reason(err: BaseException) -> str | None:
    """The refusal behind a requests error, if an address was refused."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [err]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BlockedAddressError):
            return str(current).split(": ", 1)[-1]
        pending += [getattr(current, "reason", None), current.__cause__, current.__context__]
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
    return None
