"""A receipt-like document (a UnionPay sale slip, as the receipts code will build it) for the printer
suites and the bench."""

from __future__ import annotations

from drivers.document import Barcode, Cut, Feed, KickDrawer, PrintOp, Qr, Text

SALE_SLIP: list[PrintOp] = [
    Text("银联POS签购单", align="center", bold=True, width=2, height=2),
    Text("UnionPay POS SALE SLIP", align="center"),
    Text("商户名称: 测试商户"),
    Text("商户编号: 898310048160001"),
    Text("终端编号: 10000001"),
    Text("卡号(CARD NO): 622424******0113", bold=True),
    Text("交易类型: 消费 SALE", underline=True),
    Text("批次号: 000001  凭证号: 000403"),
    Text("日期/时间: 2025/01/01 09:30:00"),
    Text("金额(AMOUNT): RMB 12.34", align="right", bold=True, height=2),
    Qr("https://qr.95516.com/00010000/01234567890123456789", size=5),
    Barcode("000001000403"),
    Text("持卡人签名 CARDHOLDER SIGNATURE"),
    Feed(2),
    Text("本人确认以上交易", align="center"),
    Cut(),
    KickDrawer(2),
]
