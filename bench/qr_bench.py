"""EMVCo merchant-presented QR decode throughput, CRC check included (emv.qr.decode_mpm; issue 4 "Figures").

Four realistic payloads: the EMVCo sample of DOMAIN_FACTS.md test vector 14 (two UnionPay templates,
additional data, Chinese names in template 64, an unreserved template), a terminal's dynamic UnionPay code
(one template, amount, reference and terminal labels), a shop's static sticker (UnionPay ID 15 and a
Chinese alternate name) and a multi-network code (Visa, Mastercard, UnionPay, a percentage fee). Each
round times ``reps`` decodes of one payload; rounds are interleaved across payloads, and the median round
gives codes/s. The target is 50,000 codes/s on this machine for every payload.
"""

from __future__ import annotations

import statistics
import time

from emv.qr import AdditionalData, LanguageTemplate, MerchantAccount, build_mpm, decode_mpm, encode_mpm

TARGET_CODES_PER_S = 50_000

EMVCO_SAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603"
    "***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)


def payloads() -> dict[str, str]:
    """The benchmark's payloads by name, each checked to decode and re-encode byte-identical."""
    unionpay = MerchantAccount.template("29", "D15600000000", ("05", "A93FO3230Q"))
    out = {
        "EMVCo sample (vector 14)": EMVCO_SAMPLE,
        "dynamic UnionPay sale": build_mpm(
            merchant_name="LAKALA TEST SHOP",
            merchant_city="BEIJING",
            mcc="5812",
            accounts=[unionpay],
            amount_minor=12800,
            additional=AdditionalData(reference_label="000403280612", terminal_label="10000019"),
        ),
        "static sticker, Chinese": build_mpm(
            merchant_name="NOODLE HOUSE",
            merchant_city="SHANGHAI",
            mcc="5814",
            accounts=[MerchantAccount("15", "62280015850100008241000")],
            dynamic=False,
            language=LanguageTemplate("ZH", "老王面馆", "上海"),
        ),
        "multi-network, fee": build_mpm(
            merchant_name="CITY TAXI",
            merchant_city="SHENZHEN",
            mcc="4121",
            accounts=[
                MerchantAccount("02", "4000123456789010"),
                MerchantAccount("04", "5100123456789010"),
                MerchantAccount("15", "6228001585010000824"),
                unionpay,
            ],
            amount_minor=4550,
            tip_indicator="03",
            fee_percentage_bp=300,
            postal_code="518000",
        ),
    }
    for payload in out.values():
        if encode_mpm(decode_mpm(payload)) != payload:
            raise AssertionError("a benchmark payload does not round-trip")
    return out


def _time_round(payload: str, reps: int) -> float:
    decode = decode_mpm
    start = time.perf_counter()
    for _ in range(reps):
        decode(payload)
    return time.perf_counter() - start


def measure(rounds: int = 21, reps: int = 2000) -> dict[str, float]:
    """Codes/s of each payload: ``reps`` decodes a round, median of ``rounds`` interleaved rounds."""
    cases = payloads()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, payload in cases.items():
            times[name].append(_time_round(payload, reps))
    return {name: reps / statistics.median(t) for name, t in times.items()}


def main(rounds: int = 21, reps: int = 2000) -> None:
    cases = payloads()
    rates = measure(rounds, reps)
    print(f"QR decode with CRC (emv.qr.decode_mpm): median of {rounds} interleaved rounds x {reps} decodes")
    print(f"{'payload':26} {'chars':>5} {'bytes':>5} {'codes/s':>9} {'us/code':>8}")
    for name, rate in rates.items():
        payload = cases[name]
        print(f"{name:26} {len(payload):5} {len(payload.encode()):5} {rate:9,.0f} {1e6 / rate:8.1f}")
    worst = min(rates.values())
    verdict = "meets" if worst >= TARGET_CODES_PER_S else "MISSES"
    print(f"slowest {worst:,.0f} codes/s, median {statistics.median(rates.values()):,.0f}: {verdict} "
          f"the target of {TARGET_CODES_PER_S:,} codes/s")  # fmt: skip


if __name__ == "__main__":
    main()
