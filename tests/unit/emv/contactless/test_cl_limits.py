"""Entry Point pre-processing (EMV Contactless Book B 3.1.1): indicators and TTQ per combination and
amount, and the ``[emv.contactless]`` configuration."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from config.errors import ConfigError
from config.load import load_default
from emv.kernel.contactless.limits import is_contactless_allowed, preprocess
from emv.kernel.params import ContactlessParams, ReaderCombination, default_params, params_from_toml

TTQ = bytes.fromhex("36004000")


def _combo(limit: int | None = 500000, floor: int | None = 30000, cvm: int | None = 100000, **kw: Any) -> Any:
    args: dict[str, Any] = {"status_check": False, "zero_amount_allowed": False, "ttq": TTQ} | kw
    return ReaderCombination(bytes.fromhex("A000000333"), 7, "UnionPay", limit, floor, cvm, **args)


# amount -> not allowed, status check, zero amount, CVM required, floor exceeded, TTQ
TABLE = [
    (1, False, False, False, False, False, "36004000"),
    (100, False, False, False, False, False, "36004000"),  # one yuan: no status check configured
    (30000, False, False, False, False, False, "36004000"),  # at the floor limit: not exceeded (>)
    (30001, False, False, False, False, True, "36804000"),
    (99999, False, False, False, False, True, "36804000"),
    (100000, False, False, False, True, True, "36C04000"),  # at the CVM limit: CVM required (>=)
    (499999, False, False, False, True, True, "36C04000"),
    (500000, True, False, False, True, True, "36C04000"),  # at the transaction limit: not allowed (>=)
    (0, True, False, False, False, False, "36804000"),  # zero amount, not allowed for this combination
]


@pytest.mark.parametrize(("amount", "refused", "status", "zero", "cvm", "floor", "ttq"), TABLE)
def test_preprocessing_table(
    amount: int, refused: bool, status: bool, zero: bool, cvm: bool, floor: bool, ttq: str
) -> None:
    [ind] = preprocess(ContactlessParams(TTQ, 0x60, 0x08, (_combo(),)), amount)
    assert (ind.not_allowed, ind.status_check, ind.zero_amount, ind.cvm_required, ind.floor_exceeded) == (
        refused,
        status,
        zero,
        cvm,
        floor,
    )
    assert ind.ttq.hex().upper() == ttq
    assert ind.online_required == bool(ind.ttq[1] & 0x80)


@pytest.mark.parametrize(
    ("combo", "amount", "online", "refused", "ttq"),
    [
        (_combo(status_check=True), 100, True, False, "36804000"),  # status check: one unit goes online
        (_combo(status_check=True), 200, True, False, "36004000"),
        (_combo(zero_amount_allowed=True), 0, True, False, "36804000"),  # zero amount: online cryptogram
        (_combo(zero_amount_allowed=True), 0, False, True, "36804000"),  # ... which an offline reader lacks
        (_combo(None, None, None), 10**9, True, False, "36004000"),  # no limits configured: no checks
        (_combo(ttq=bytes.fromhex("36C04000")), 10, True, False, "36004000"),  # configured b8 b7 reset
    ],
)
def test_status_check_zero_amount_and_missing_limits(
    combo: ReaderCombination, amount: int, online: bool, refused: bool, ttq: str
) -> None:
    [ind] = preprocess(ContactlessParams(TTQ, 0x60, 0x08, (combo,)), amount, 100, online)
    assert (ind.not_allowed, ind.ttq.hex().upper()) == (refused, ttq)


def test_try_another_interface_only_when_no_combination_allows() -> None:
    small, large = _combo(limit=1000), _combo(limit=None)
    params = ContactlessParams(TTQ, 0x60, 0x08, (small, large))
    assert is_contactless_allowed(preprocess(params, 5000))
    assert not is_contactless_allowed(preprocess(ContactlessParams(TTQ, 0x60, 0x08, (small,)), 5000))


def test_shipped_reader_limits() -> None:
    cl = default_params().contactless
    assert (
        cl is not None
        and cl.ttq == TTQ
        and (cl.cvm_capability_required, cl.cvm_capability_no_cvm)
        == (
            0x60,
            0x08,
        )
    )
    kernels = {
        c.aid.hex().upper(): (c.kernel_id, c.transaction_limit, c.floor_limit, c.cvm_limit)
        for c in cl.combinations
    }
    assert kernels == {
        "A000000333": (7, 500000, 30000, 100000),
        "A000000003": (3, 500000, 30000, 100000),
        "A000000004": (2, 500000, 30000, 100000),
    }
    assert cl.combination(bytes.fromhex("A0000000031010"), 3) is cl.combinations[1]
    assert cl.combination(bytes.fromhex("A0000000031010"), 2) is None
    assert cl.combination(bytes.fromhex("A000000999"), 7) is None


def _with(change: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(load_default("terminal.toml"))
    data["emv"]["contactless"].update(change)
    return data


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"ttq": "3600"}, "emv.contactless.ttq"),
        ({"ttq": 36004000}, "emv.contactless.ttq"),
        ({"cvm_capability_required": "6000"}, "emv.contactless.cvm_capability_required"),
        ({"aid": []}, "emv.contactless.aid"),
        ({"aid": [{"aid": "A000", "kernel_id": 7}]}, "emv.contactless.aid.aid"),
        ({"aid": [{"aid": "A000000333", "kernel_id": 64}]}, "emv.contactless.aid.kernel_id"),
        (
            {"aid": [{"aid": "A000000333", "kernel_id": 7, "floor_limit": -1}]},
            "emv.contactless.aid.floor_limit",
        ),
        (
            {"aid": [{"aid": "A000000333", "kernel_id": 7, "status_check": 1}]},
            "emv.contactless.aid.status_check",
        ),
        ({"aid": [{"aid": "A000000333", "kernel_id": 7, "ttq": "36"}]}, "emv.contactless.aid.ttq"),
    ],
)
def test_bad_contactless_configuration_names_the_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        params_from_toml(_with(change))
    assert str(err.value).startswith(key + ":")


def test_contactless_section_is_optional() -> None:
    data = copy.deepcopy(load_default("terminal.toml"))
    del data["emv"]["contactless"]
    assert params_from_toml(data).contactless is None
    data["emv"]["contactless"] = "no"
    with pytest.raises(ConfigError):
        params_from_toml(data)
    # a combination's own TTQ and defaults
    entry = {"aid": "A000000333", "kernel_id": 7, "ttq": "26000000"}
    combo = params_from_toml(_with({"aid": [entry]})).contactless
    assert combo is not None
    [c] = combo.combinations
    assert (c.ttq.hex(), c.transaction_limit, c.status_check, c.zero_amount_allowed) == (
        "26000000",
        None,
        False,
        True,
    )
