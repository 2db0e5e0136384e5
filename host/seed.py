"""Seed data and settings of the host simulator: ``config/defaults/host.toml`` and the virtual card
profiles (ARCHITECTURE.md section 5: the simulator's issuer keys are the ones the virtual cards carry).

:func:`seed_store` fills a new store: merchants and terminals (TID, MID and TMK) from the TOML, one card
and account per card profile of :mod:`emv.cards`, contact and contactless (PAN, PSN, expiry, PIN check
and issuer master keys from the profile; balance, limit and status from the TOML's ``[cards]``), wallets,
reusable payment codes and fault rules. :class:`ServerSettings` holds the ``[server]`` table. Every key
in the file is test data.

>>> s = ServerSettings.from_config({"server": {"port": 5001}})
>>> s.host, s.port, s.max_frame
('127.0.0.1', 5001, 2048)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, cast

from config.errors import ConfigError
from emv.cards.profile import Profile
from host.faults import FaultError, rule_from_config
from host.records import (
    Account,
    CardStatus,
    IssuerKeys,
    Merchant,
    PaymentCodeRecord,
    TerminalRecord,
    hash_pin,
)
from host.records import Card as CardRecord
from host.store import Store

__all__ = ["ServerSettings", "load_host_config", "seed_store"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerSettings:
    """The ``[server]`` table: where to listen, frame limits and timeouts, field 32 of replies."""

    host: str = "127.0.0.1"
    port: int = 5000
    max_frame: int = 2048
    frame_timeout_s: float = 5.0
    idle_timeout_s: float = 300.0
    acquirer_id: str = "00049990000"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ServerSettings:
        """Raises: ConfigError: an unknown key or a value of the wrong type."""
        table: dict[str, Any] = config.get("server", {})
        known = {f.name: str(f.type) for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise ConfigError(f"host.toml [server]: unknown key {key!r}")
            want: tuple[type, ...] = {"str": (str,), "int": (int,), "float": (int, float)}[known[key]]
            if not isinstance(value, want) or isinstance(value, bool):
                raise ConfigError(f"host.toml [server].{key}: wrong type")
            values[key] = float(cast(float, value)) if known[key] == "float" else value
        return cls(**values)


def load_host_config(path: str | None = None) -> dict[str, Any]:
    """The simulator's configuration: the TOML at ``path``, or the shipped ``host.toml``.

    Raises:
        ConfigError: the file is missing or not valid TOML.
    """
    from config.load import load_default, load_toml

    return load_toml(path) if path else load_default("host.toml")


def _hex_key(value: Any, where: str) -> bytes:
    try:
        key = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        key = b""
    if len(key) not in (8, 16, 24):
        raise ConfigError(f"host.toml {where}: not an 8-, 16- or 24-byte hex key")
    return key


def _profiles() -> list[tuple[str, Profile]]:
    """Every shipped card profile, contact (:mod:`emv.cards`) and contactless (``emv.cards.contactless``)."""
    from emv.cards import list_profiles, load_profile
    from emv.cards.contactless import list_contactless_profiles, load_contactless_profile

    out = [(name, load_profile(name)) for name in list_profiles()]
    return out + [(name, load_contactless_profile(name).profile) for name in list_contactless_profiles()]


def _seed_cards(store: Store, table: Mapping[str, Any]) -> None:
    overrides = table.get("profiles", {})
    for name, p in _profiles():
        over = overrides.get(name, {})
        status = over.get("status", CardStatus.ACTIVE)
        if status not in tuple(CardStatus):
            raise ConfigError(f"host.toml [cards.profiles.{name}].status: not one of {list(CardStatus)}")
        account = Account(
            f"acct-{name}",
            int(over.get("balance_fen", table.get("default_balance_fen", 10_000_000))),
            0,
            int(over.get("limit_fen", table.get("default_limit_fen", 0))),
        )
        store.save_account(account)
        store.save_issuer_keys(IssuerKeys(name, p.cryptogram.key, p.imk_ac, p.imk_smi, p.imk_smc))
        store.save_card(
            CardRecord(
                p.pan,
                p.psn,
                account.id,
                p.expiry.strftime("%y%m"),
                name,
                status,
                hash_pin(p.pan, p.pin),
                0,
                int(table.get("pin_try_limit", 3)),
            )
        )


def seed_store(store: Store, config: Mapping[str, Any]) -> None:
    """Fill an empty store from a host configuration (see the module docstring) and commit it.

    Raises:
        ConfigError: a malformed table or key in the configuration.
        ProfileError: a card profile that does not load.
    """
    for m in config.get("merchants", []):
        store.save_merchant(Merchant(m["mid"], m.get("name", ""), m.get("city", ""), m.get("mcc", "5999")))
    for t in config.get("terminals", []):
        tid, mid = t.get("tid"), t.get("mid")
        if not (isinstance(tid, str) and len(tid) == 8 and isinstance(mid, str) and len(mid) == 15):
            raise ConfigError("host.toml [[terminals]]: tid is 8 characters, mid 15")
        store.save_terminal(
            TerminalRecord(tid, mid, _hex_key(t.get("tmk"), f"terminal {tid} tmk"), t.get("batch", 1))
        )
    _seed_cards(store, config.get("cards", {}))
    for w in config.get("wallets", []):
        store.save_account(
            Account(w["id"], int(w.get("balance_fen", 0)), 0, int(w.get("limit_fen", 0)), w["wallet"])
        )
    for c in config.get("payment_codes", []):
        store.save_code(PaymentCodeRecord(c["code"], c["wallet_id"], True))
    for i, entry in enumerate(config.get("faults", []), start=1):
        try:
            store.save_fault(rule_from_config(i, entry))
        except FaultError as exc:
            raise ConfigError(f"host.toml [[faults]] #{i}: {exc}") from None
    store.commit_now()
    log.info(
        "seeded the host store: %d terminals, %d cards, %d fault rules",
        len(store.terminals),
        len(store.cards),
        len(store.faults),
    )
