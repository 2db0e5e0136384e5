"""The terminal's screens: ids, Chinese (zh_CN, the device default) and English texts (MERCHANT_GUIDE.md).

A screen id is what tests, scenarios and HIL rigs assert on; the texts follow the merchant's guide
(收款 collect, 插卡/挥卡/刷卡/扫码 insert/tap/swipe/scan, 签到 sign-on, 结算 settlement).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ui.base import Screen

__all__ = ["KIND_NAMES", "TEXTS", "screen", "yuan"]

TEXTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "boot": ("开机自检", "SELF-TEST"),
        "fault": ("故障", "FAULT"),
        "fault_battery": ("电量不足", "BATTERY LOW"),
        "fault_printer": ("打印机故障", "PRINTER FAULT"),
        "fault_paper": ("打印机缺纸", "PAPER OUT"),
        "fault_host": ("网络故障", "NETWORK FAULT"),
        "fault_keys": ("密钥丢失", "KEYS MISSING"),
        "fault_internal": ("系统故障", "INTERNAL FAULT"),
        "activate_mid": ("终端激活 商户号", "ACTIVATION: MERCHANT NO."),
        "activate_tid": ("终端激活 终端号", "ACTIVATION: TERMINAL NO."),
        "activate_confirm": ("确认商户信息", "CONFIRM MERCHANT"),
        "login_operator": ("操作员登录 请输入操作员号", "LOGIN: OPERATOR NO."),
        "login_password": ("请输入密码", "PASSWORD"),
        "login_signon": ("签到中...", "SIGNING ON..."),
        "idle": ("请刷卡/插卡/挥卡 或按确认收款", "INSERT / TAP / SWIPE, OR OK TO COLLECT"),
        "menu": ("主菜单", "MAIN MENU"),
        "txn_password": ("请输入主管密码", "SUPERVISOR PASSWORD"),
        "txn_original": ("请输入原交易凭证号", "ORIGINAL VOUCHER NO."),
        "txn_original_rrn": ("请输入原交易参考号", "ORIGINAL REFERENCE NO."),
        "txn_amount": ("请输入金额", "ENTER AMOUNT"),
        "txn_confirm": ("请确认", "CONFIRM"),
        "txn_reason": (
            "退货原因 1退货 2金额错误 3重复交易 4其他",
            "REASON 1 RETURN 2 WRONG AMOUNT 3 DUPLICATE 4 OTHER",
        ),
        "txn_capture": ("请插卡/挥卡/刷卡", "INSERT / TAP / SWIPE CARD"),
        "txn_insert_chip": ("请插入IC卡", "PLEASE INSERT CHIP"),
        "txn_swipe_again": ("读卡失败 请重刷", "READ ERROR, SWIPE AGAIN"),
        "txn_fallback": ("IC卡读取失败 请刷卡", "CHIP FAILED, SWIPE CARD"),
        "txn_card_error": ("读卡失败 请重新插卡", "CARD ERROR, TRY AGAIN"),
        "txn_choose_app": ("请选择应用", "SELECT APPLICATION"),
        "txn_pin": ("请持卡人输入密码", "ENTER PIN"),
        "txn_scan": ("请扫描付款码", "SCAN PAYMENT CODE"),
        "txn_qr": ("请扫码支付", "SCAN TO PAY"),
        "txn_online": ("处理中 请稍候", "PROCESSING, PLEASE WAIT"),
        "txn_remove_card": ("请拔卡", "REMOVE CARD"),
        "txn_result": ("交易结果", "RESULT"),
        "txn_receipt": ("打印中", "PRINTING"),
        "paperout": ("打印机缺纸 请装纸后按确认重打", "PAPER OUT: LOAD PAPER, OK TO REPRINT"),
        "reprint_choose": ("重打印 1最后一笔 2任意一笔", "REPRINT: 1 LAST  2 BY VOUCHER"),
        "reprint_trace": ("请输入凭证号", "VOUCHER NO."),
        "reprint_print": ("打印中", "PRINTING"),
        "settle_confirm": ("结算 按确认继续", "SETTLEMENT: OK TO CONTINUE"),
        "settle_online": ("结算中...", "SETTLING..."),
        "settle_report": ("结算完成", "SETTLEMENT DONE"),
        "signoff": ("签退中...", "SIGNING OFF..."),
        "off": ("关机", "OFF"),
    }
)

# The soft keys each screen offers (the keypad's function keys the screen labels).
SOFT_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "idle": ("MENU", "OK"),
        "menu": ("CANCEL", "F1", "F2"),
        "fault": ("OK",),
        "fault_battery": ("OK",),
        "fault_printer": ("OK",),
        "fault_paper": ("OK",),
        "fault_host": ("OK",),
        "fault_keys": ("OK",),
        "fault_internal": ("OK",),
        "paperout": ("OK",),
        "activate_confirm": ("CANCEL", "OK"),
        "txn_confirm": ("CANCEL", "OK"),
        "settle_confirm": ("CANCEL", "OK"),
        "reprint_choose": ("CANCEL",),
        "txn_capture": ("CANCEL",),
        "txn_scan": ("CANCEL",),
        "txn_qr": ("CANCEL",),
    }
)

KIND_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "sale": ("消费", "SALE"),
        "void": ("消费撤销", "VOID"),
        "refund": ("退货", "REFUND"),
        "balance": ("余额查询", "BALANCE"),
        "preauth": ("预授权", "PRE-AUTH"),
        "completion": ("预授权完成", "AUTH COMPLETE"),
        "qr_sale": ("扫码收款", "QR SALE"),
        "scan_sale": ("扫码付款", "SCAN SALE"),
    }
)


def yuan(amount_minor: int) -> str:
    """Minor units as yuan with two decimals, by integer arithmetic (never a float).

    >>> yuan(0), yuan(1), yuan(123456), yuan(-2500)
    ('0.00', '0.01', '1234.56', '-25.00')
    """
    sign = "-" if amount_minor < 0 else ""
    whole, fen = divmod(abs(amount_minor), 100)
    return f"{sign}{whole}.{fen:02d}"


def screen(
    screen_id: str,
    *lines: tuple[str, str],
    echo: str = "",
    soft_keys: tuple[str, ...] = (),
    facts: Mapping[str, str] | None = None,
    title: tuple[str, str] | None = None,
) -> Screen:
    """A screen by id with its catalogue title (or ``title``), extra lines, input echo and facts."""
    return Screen(
        id=screen_id,
        title=title or TEXTS.get(screen_id, (screen_id, screen_id)),
        lines=tuple(lines),
        echo=echo,
        soft_keys=soft_keys or SOFT_KEYS.get(screen_id, ()),
        data=tuple((facts or {}).items()),
    )
