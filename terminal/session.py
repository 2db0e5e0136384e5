"""Power-on self-test, first-boot activation, operator login with host sign-on, the idle screen and main
menu, reprint, day-end settlement and sign-off (MERCHANT_GUIDE.md; DOMAIN_FACTS.md A: sign-on 0800/0810,
settlement 0500/0510 with batch upload 0320, sign-off 0820).
"""

from __future__ import annotations

import logging
from typing import Any

from drivers.errors import DeviceError, PrinterError
from drivers.host import HostError
from host import requests as rq
from host.errors import Iso8583Error
from host.settlement import SettlementTotals
from terminal.auth import ENTRY_MODE_F22
from terminal.screens import KIND_NAMES, yuan

log = logging.getLogger(__name__)

__all__ = ["SessionMixin"]

MENU = {
    "1": "sale",
    "2": "void",
    "3": "refund",
    "4": "balance",
    "5": "preauth",
    "6": "completion",
    "7": "qr_sale",
    "8": "scan_sale",
}
MENU_LINES = (
    ("1消费 2撤销 3退货 4余额", "1 SALE 2 VOID 3 REFUND 4 BALANCE"),
    ("5预授权 6预授权完成", "5 PRE-AUTH 6 AUTH COMPLETE"),
    ("7扫码收款 8扫码付款 9重打印", "7 SHOW QR 8 SCAN CODE 9 REPRINT"),
    ("F1结算 F2签退 F3报表", "F1 SETTLE  F2 SIGN OFF  F3 REPORTS"),
)


class SessionMixin:
    """The non-transaction states of :class:`terminal.model.Terminal`."""

    pending_card: str | None
    unprinted: list[int]
    reprint_ids: list[int]
    prompt: Any
    message: tuple[str, str] | None

    # -- boot and activation --------------------------------------------------------------------------

    def on_enter_boot(self: Any) -> None:
        self.show("boot")
        battery = self.dev.battery.status() if self.dev.battery is not None else None
        if battery is not None and battery.low:
            self.fail("battery", "电量不足 请充电", "BATTERY LOW: CHARGE THE TERMINAL")
            return
        try:
            status = self.dev.printer.status()
        except DeviceError:
            self.fail("printer", "打印机故障", "PRINTER NOT RESPONDING")
            return
        if not status.online:
            self.fail("printer", "打印机故障", "PRINTER OFFLINE")
            return
        if status.paper == "out":
            self.fail("paper", "打印机缺纸", "PRINTER PAPER OUT")
            return
        if not self.journal.setting("tid"):
            self.trigger("needs_activation")
            return
        if not self.keys.has_tmk:  # activated, but the key store lost its master key
            self.fail("keys", "终端主密钥丢失 请重新灌装密钥", "TERMINAL MASTER KEY MISSING: RELOAD THE KEYS")
            return
        if not self.host_reachable():
            self.fail(
                "host",
                "无法连接主机 请检查网络 按确认重试",
                "HOST UNREACHABLE: CHECK THE NETWORK, OK TO RETRY",
            )
            return
        recovery = self.journal.recovery()
        self.unprinted = [t.id for t in recovery.unprinted]
        if recovery.pending_reversals:
            log.warning("boot: %d reversal(s) pending from the last session", len(recovery.pending_reversals))
        self.trigger("selftest_ok")

    def host_reachable(self: Any) -> bool:
        """Self-test of the network: an echo test (0820) must be answered."""
        try:
            self.dev.host.transact(
                rq.echo_test(self.terminal_id(), self.journal.next_trace(), self.journal.batch)
            )
        except HostError as exc:
            log.warning("self-test: host not reachable (%s)", type(exc).__name__)
            return False
        return True

    def on_enter_activate_mid(self: Any) -> None:
        self.ask("activate_mid", "digits", 15, 15, ("请输入15位商户号", "15-DIGIT MERCHANT NO."))

    def submit_activate_mid(self: Any, text: str) -> None:
        self.new_mid = text
        self.trigger("entered")

    def on_enter_activate_tid(self: Any) -> None:
        self.ask("activate_tid", "digits", 8, 8, ("请输入8位终端号", "8-DIGIT TERMINAL NO."))

    def submit_activate_tid(self: Any, text: str) -> None:
        self.new_tid = text
        self.trigger("entered")

    def on_enter_activate_confirm(self: Any) -> None:
        a = self.settings.activation
        if (self.new_mid, self.new_tid) != (a.mid, a.tid):
            self.message = ("商户号或终端号与注册信息不符", "MID/TID DO NOT MATCH THE REGISTRATION")
            self.trigger("cancel")
            return
        self.show(
            "activate_confirm", (a.merchant_name, a.merchant_name), (a.contact, a.contact), (a.phone, a.phone)
        )

    def key_activate_confirm(self: Any, key: str) -> None:
        if key != "OK":
            return
        a = self.settings.activation
        self.keys.inject_tmk(a.tmk)
        for k, v in (
            ("mid", a.mid),
            ("tid", a.tid),
            ("merchant_name", a.merchant_name),
            ("contact", a.contact),
            ("phone", a.phone),
        ):
            self.journal.set_setting(k, v)
        self.operators.add(
            self.settings.supervisor[0], "supervisor", "supervisor", self.settings.supervisor[1]
        )
        for number, password in self.settings.cashiers:
            self.operators.add(number, f"cashier {number}", "cashier", password)
        self.unprinted = []
        self.trigger("activated")

    # -- login and sign-on ----------------------------------------------------------------------------

    def on_enter_login_operator(self: Any) -> None:
        self.ask("login_operator", "digits", 2, 2)

    def submit_login_operator(self: Any, text: str) -> None:
        self.login_number = text
        self.trigger("entered")

    def on_enter_login_password(self: Any) -> None:
        self.ask("login_password", "secret", 4, 12)

    def submit_login_password(self: Any, text: str) -> None:
        verdict = self.operators.check(self.login_number, text, self.now)
        if verdict == "ok":
            self.operator = self.login_number
            self.trigger("logged_in")
            return
        self.message = ("操作员已锁定 请稍后再试", "OPERATOR LOCKED, TRY LATER") if verdict == "locked" else (
            "操作员号或密码错误", "WRONG OPERATOR OR PASSWORD")  # fmt: skip
        self.trigger("login_failed")

    def on_enter_login_signon(self: Any) -> None:
        self.show("login_signon")
        self.start_timer(None)
        if self.sign_on():
            self.trigger("signed_on")
        else:
            self.trigger("signon_failed")

    def sign_on(self: Any) -> bool:
        """0800 sign-on: working keys under the TMK, the host's batch number; then pending reversals.
        On failure the link keeps its previous MAC key (the session's, if any)."""
        previous = self.dev.host.mac_key
        self.dev.host.set_mac_key(None)
        try:
            reply = self.dev.host.transact(
                rq.sign_on(self.terminal_id(), self.journal.next_trace(), self.journal.batch)
            )
            if reply.get(39) != "00":
                self.message = (f"签到失败 {reply.get(39)}", f"SIGN-ON DECLINED {reply.get(39)}")
                self.dev.host.set_mac_key(previous)
                return False
            keys = rq.keys_from_sign_on(reply, self.keys.tmk)
        except (HostError, Iso8583Error) as exc:
            log.warning("sign-on failed: %s", type(exc).__name__)
            self.message = ("签到失败 网络异常", "SIGN-ON FAILED: NETWORK")
            self.dev.host.set_mac_key(previous)
            return False
        self.dev.host.set_mac_key(keys.mak)
        self.session_pik = keys.pik
        self.journal.set_batch(keys.batch)
        self.auth.needs_sign_on = False
        self.journal.new_session()
        self.auth.send_pending_reversals()
        return True

    # -- idle and menu --------------------------------------------------------------------------------

    def on_enter_idle(self: Any) -> None:
        self.prompt = None
        self.start_timer(None)
        self.reset_txn()
        lines = []
        if self.unprinted:
            lines.append(("有未打印凭条 按F1重打", "UNPRINTED RECEIPT: F1 TO REPRINT"))
        self.show(
            "idle", *lines, facts={"operator": self.operator or "", "batch": f"{self.journal.batch:06d}"}
        )

    def key_idle(self: Any, key: str) -> None:
        if key == "OK":
            self.begin("sale")
        elif key == "MENU":
            self.trigger("menu")
        elif key == "F1" and self.unprinted:
            self.reprint_ids = list(self.unprinted)
            self.trigger("reprint")

    def on_card(self: Any, how: str) -> None:
        if self.state == "idle":
            self.pending_card = how
            self.begin("sale")
        else:
            self.card_event(how)

    def on_enter_menu(self: Any) -> None:
        self.show("menu", *MENU_LINES)

    def key_menu(self: Any, key: str) -> None:
        if key in MENU:
            self.begin(MENU[key])
        elif key == "9":
            self.reprint_ids = []
            self.trigger("reprint")
        elif key == "F1":
            self.trigger("settle")
        elif key == "F2":
            self.trigger("sign_off")
        elif key == "F3":
            self.print_reports()

    def print_reports(self: Any) -> None:
        """报表统计: the current batch's summary (sales, refunds, net) and its transaction detail."""
        from terminal.reports import build_detail_report, build_summary_report

        rows = self.journal.batch_rows()
        merchant, settings = self.receipt_context()
        batch = self.journal.batch
        try:
            self.dev.printer.print_document(
                build_summary_report(rows, merchant, settings, when=self.now, batch=batch)
            )
            self.dev.printer.print_document(
                build_detail_report(rows, merchant, settings, when=self.now, batch=batch)
            )
        except PrinterError:
            self.message = ("打印机缺纸", "PAPER OUT")
        self.on_enter_menu()

    # -- reprint --------------------------------------------------------------------------------------

    def on_enter_reprint_choose(self: Any) -> None:
        if self.reprint_ids:
            self.trigger("last")
            return
        self.show("reprint_choose")

    def key_reprint_choose(self: Any, key: str) -> None:
        if key == "1":
            last = self.journal.last()
            self.reprint_ids = [last.id] if last is not None else []
            self.trigger("last")
        elif key == "2":
            self.trigger("by_trace")

    def on_enter_reprint_trace(self: Any) -> None:
        self.ask("reprint_trace", "digits", 1, 6)

    def submit_reprint_trace(self: Any, text: str) -> None:
        found = self.journal.find_by_trace(int(text))
        if found is None:
            self.message = ("无此交易", "NO SUCH TRANSACTION")
            self.on_enter_reprint_trace()
            return
        self.reprint_ids = [found.id]
        self.trigger("entered")

    def on_enter_reprint_print(self: Any) -> None:
        self.show("reprint_print")
        for txn_id in list(self.reprint_ids):
            if not self.print_txn(txn_id, reprint=True):
                return
            if txn_id in self.unprinted:
                self.unprinted.remove(txn_id)
        self.reprint_ids = []
        self.trigger("done")

    def on_enter_paperout(self: Any) -> None:
        self.show("paperout")

    def key_paperout(self: Any, key: str) -> None:
        if key == "OK":
            status = self.dev.printer.status()
            if status.paper == "out" or not status.online:
                self.show("paperout")
                return
            self.reprint_ids = list(self.unprinted)
            self.trigger("reprint")

    def print_txn(self: Any, txn_id: int, reprint: bool = False) -> bool:
        """Print a transaction's receipts; False (and the paper-out state) when the printer stops."""
        from terminal.receipts import build_receipts

        txn = self.journal.get(txn_id)
        if txn is None:
            return True
        merchant, settings = self.receipt_context()
        original = self.journal.get(txn.original_id) if txn.original_id is not None else None
        try:
            for _copy, ops in build_receipts(txn, merchant, settings, reprint=reprint, original=original):
                self.dev.printer.print_document(ops)
        except PrinterError:
            if txn_id not in self.unprinted:
                self.unprinted.append(txn_id)
            self.trigger("paper_out")
            return False
        self.journal.receipt_printed(txn_id)
        return True

    def receipt_context(self: Any) -> tuple[Any, Any]:
        """The merchant's identity and the receipt settings, for receipts and reports."""
        from terminal.receipts import MerchantInfo, ReceiptSettings

        merchant = MerchantInfo(
            name=self.journal.setting("merchant_name", "") or "",
            mid=self.journal.setting("mid", "") or "",
            tid=self.journal.setting("tid", "") or "",
        )
        r = self.settings.receipt
        paper = 80 if int(r.get("paper", 58)) == 80 else 58
        settings = ReceiptSettings(
            paper=paper,
            copies=tuple(r.get("copies", ("merchant", "customer"))),
            date_format=str(r.get("date_format", "%Y/%m/%d %H:%M:%S")),
        )
        return merchant, settings

    # -- settlement and sign-off ----------------------------------------------------------------------

    def on_enter_settle_confirm(self: Any) -> None:
        from terminal.reports import settlement_totals

        totals = settlement_totals(self.journal.batch_rows())
        lines = []
        for zh, en, t in (("内卡", "DOMESTIC", totals.domestic), ("外卡", "FOREIGN", totals.foreign)):
            dr, cr = f"{t.debit_count} {yuan(t.debit_fen)}", f"{t.credit_count} {yuan(t.credit_fen)}"
            lines.append((f"{zh} 借记 {dr} 贷记 {cr}", f"{en} DR {dr} CR {cr}"))
        self.show("settle_confirm", *lines)

    def key_settle_confirm(self: Any, key: str) -> None:
        if key == "OK":
            self.trigger("entered")

    def on_enter_settle_online(self: Any) -> None:
        self.show("settle_online")
        self.settlement = self.settle_batch()
        if self.settlement is None:
            self.trigger("cancel")
            return
        self.trigger("settled")

    def on_enter_settle_report(self: Any) -> None:
        from terminal.reports import build_settlement_report

        outcome = self.settlement
        facts = {"balanced": "yes" if outcome["balanced"] else "no", "batch": f"{outcome['batch']:06d}"}
        self.show("settle_report", facts=facts)
        r = outcome["report"]
        ops = build_settlement_report(
            r["txns"], r["merchant"], r["settings"], batch=r["batch"], when=r["when"], reply=r["reply"],
            uploaded=r["uploaded"], operator=r["operator"],
        )  # fmt: skip
        try:
            self.dev.printer.print_document(ops)
        except PrinterError:
            self.trigger("paper_out")
            return
        self.trigger("done")

    def settle_batch(self: Any) -> dict[str, Any] | None:
        """0500 with the batch totals; on "not balanced", upload every approved transaction (0320) and end
        the upload (202/207); then adopt the next batch. None when the host could not be reached."""
        if self.auth.needs_sign_on and not self.sign_on():
            return None
        self.auth.send_pending_reversals()
        from terminal.reports import settlement_totals

        rows = self.journal.batch_rows()
        totals = settlement_totals(rows)
        batch = self.journal.batch
        tid = self.terminal_id()
        try:
            reply = self.dev.host.transact(rq.settlement(tid, self.journal.next_trace(), batch, totals))
            if reply.get(39) != "00":
                self.message = (f"结算失败 {reply.get(39)}", f"SETTLEMENT REFUSED {reply.get(39)}")
                return None
            result = SettlementTotals.from_field(str(reply.get(48) or ""))
            if int(result.domestic_result) not in (1, 2, 3):
                self.message = ("结算应答无效", "SETTLEMENT REPLY WITHOUT A RESULT")
                return None
            uploaded = 0
            if result.needs_batch_upload:
                for row in rows:
                    if row.state != "approved" or row.kind not in (
                        "sale",
                        "completion",
                        "refund",
                        "scan_sale",
                    ):
                        continue
                    pan = self.journal.reveal_pan(row.id) if row.pan_masked else None
                    mode = ENTRY_MODE_F22.get(row.entry_mode, "012")
                    self.dev.host.transact(
                        rq.batch_upload(tid, row.trace, batch, row.amount_minor, pan=pan, entry_mode=mode)
                    )
                    uploaded += 1
                self.dev.host.transact(
                    rq.batch_upload_end(tid, self.journal.next_trace(), batch, uploaded, balanced=False)
                )
            saf = self.journal.saf_pending(batch)
            if saf and result.needs_batch_upload:
                self.journal.saf_forwarded(saf)  # the offline approvals reached the host in the upload
        except (HostError, Iso8583Error) as exc:
            log.warning("settlement failed: %s", type(exc).__name__)
            self.message = ("结算失败 网络异常 请重试", "SETTLEMENT FAILED: NETWORK, RETRY")
            return None
        self.journal.set_batch(batch + 1)
        merchant, settings = self.receipt_context()
        report = {
            "txns": rows,
            "merchant": merchant,
            "settings": settings,
            "batch": batch,
            "when": self.now,
            "reply": result,
            "uploaded": uploaded if result.needs_batch_upload else None,
            "operator": self.operator,
        }
        return {"balanced": result.balanced, "batch": batch, "uploaded": uploaded, "report": report}

    def on_enter_signoff(self: Any) -> None:
        self.show("signoff")
        try:
            self.dev.host.transact(
                rq.sign_off(self.terminal_id(), self.journal.next_trace(), self.journal.batch)
            )
        except HostError as exc:
            log.warning("sign-off not answered: %s", type(exc).__name__)
        self.dev.host.set_mac_key(None)
        self.operator = None
        self.trigger("signed_off")

    def key_signoff(self: Any, key: str) -> None:
        return None

    def kind_label(self: Any, kind: str) -> tuple[str, str]:
        return KIND_NAMES.get(kind, (kind, kind))
