"""The simulated wallets behind QR payments (DOMAIN_FACTS section E): customer-presented payment codes and
merchant-presented dynamic QR orders.

- **Scanned codes** (the customer shows a code, the terminal scans it and sends a purchase with entry mode
  ``03``): a wallet issues a one-time code for a wallet account (:meth:`Wallets.issue_code`, with the
  shape :mod:`emv.cpm` checks: WeChat Pay ``1x`` 18 digits, Alipay ``2x`` 18, UnionPay ``62`` 19, Lakala
  ``810`` 19); the host resolves and spends it (:meth:`Wallets.spend_code`). Reusable codes exist for
  demos.
- **Orders** (the terminal shows a code): the terminal asks the host for an order; the reply carries an
  EMVCo merchant-presented payload (:func:`emv.qr.build_mpm`, dynamic, with the amount and the order
  reference in ``62.05``). A wallet pays it through :meth:`Wallets.pay_order` (a Python call, or the
  admin message of :mod:`host.acquirer`); the terminal's result query then finds it paid. A paid order
  is a purchase in the terminal's current batch. The terminal closes an order it stops waiting for, and
  an unpaid order closes itself after ``ORDER_TTL_S``; a closed order cannot be paid.

The ISO 8583 carriage of both is this project's choice, as no public CUP QR message profile was found [U]:
the scanned code travels in field 59; an order is created by a 0200 with processing code ``900000`` and
queried by one with ``910000`` (closed by one with ``920000``) and the order reference in field 37.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable

from emv.cpm import PaymentCodeError, Wallet, classify_code, mask_code
from emv.qr import AdditionalData, MerchantAccount, build_mpm
from host.records import Account, OrderStatus, PaymentCodeRecord, QrOrder, Txn, TxnKind, TxnStatus
from host.store import Store

__all__ = ["UNIONPAY_QR_GUI", "Wallets"]

log = logging.getLogger(__name__)

UNIONPAY_QR_GUI = "A000000333"  # UnionPay's globally unique identifier in merchant account template 15-16
_PREFIXES = {Wallet.WECHAT_PAY: ("13", 18), Wallet.ALIPAY: ("28", 18), Wallet.UNIONPAY: ("62", 19)}


ORDER_TTL_S = 600.0  # an unpaid order closes itself after this long (5x the terminal's 120 s wait), so
# an order whose terminal could not close it (link down) does not stay payable for ever


class Wallets:
    """Payment codes and orders on top of the store; every method runs on the simulator's loop."""

    def __init__(
        self, store: Store, now: Callable[[], dt.datetime], order_ttl_s: float = ORDER_TTL_S
    ) -> None:
        self.store = store
        self.now = now
        self.order_ttl_s = order_ttl_s

    # ----------------------------------------------------------------------------------------------------
    # Customer-presented codes
    # ----------------------------------------------------------------------------------------------------

    def issue_code(self, account_id: str, *, ttl_s: float = 60.0, reusable: bool = False) -> str:
        """A new payment code for a wallet account, valid ``ttl_s`` seconds (one use unless reusable).

        Raises:
            KeyError: no such wallet account.
        """
        account = self.store.accounts[account_id]
        wallet = Wallet(account.wallet) if account.wallet else Wallet.UNIONPAY
        prefix, size = _PREFIXES.get(wallet, ("810", 19))
        while True:
            code = prefix + "".join(secrets.choice("0123456789") for _ in range(size - len(prefix)))
            if code not in self.store.codes:
                break
        expires = (self.now() + dt.timedelta(seconds=ttl_s)).isoformat(timespec="seconds")
        self.store.save_code(PaymentCodeRecord(code, account_id, reusable, "" if reusable else expires))
        return code

    def spend_code(self, code: str) -> Account | None:
        """The wallet account a scanned code draws on, the code used up; None for a code the host does not
        know, has expired, or that is malformed (the caller declines with 14)."""
        try:
            classify_code(code)
        except PaymentCodeError:
            return None
        record = self.store.codes.get(code)
        if record is None:
            return None
        if record.expires and record.expires < self.now().isoformat(timespec="seconds"):
            self.store.delete_code(code)
            return None
        if not record.reusable:
            self.store.delete_code(code)
        return self.store.accounts.get(record.account_id)

    # ----------------------------------------------------------------------------------------------------
    # Merchant-presented orders
    # ----------------------------------------------------------------------------------------------------

    def create_order(self, tid: str, mid: str, batch: int, trace: int, amount_fen: int, rrn: str) -> str:
        """Open an order for ``amount_fen`` under reference ``rrn``; the EMVCo payload to display.

        Raises:
            QrError: merchant data the QR format does not accept.
        """
        merchant = self.store.merchants.get(mid)
        name = (merchant.name if merchant else "") or "POSEMU MERCHANT"
        city = (merchant.city if merchant else "") or "SHANGHAI"
        mcc = (merchant.mcc if merchant else "") or "5999"
        order = QrOrder(rrn, tid, mid, batch, trace, amount_fen, created=self.now().isoformat())
        self.store.save_order(order)
        return build_mpm(
            merchant_name=name[:25],
            merchant_city=city[:15],
            mcc=mcc,
            accounts=[MerchantAccount.template("15", UNIONPAY_QR_GUI, ("01", mid))],
            amount_minor=amount_fen,
            additional=AdditionalData(reference_label=rrn, terminal_label=tid),
        )

    def expire(self, order: QrOrder) -> None:
        """Close a pending order older than ``order_ttl_s``."""
        if order.status != OrderStatus.PENDING:
            return
        try:
            age = (self.now() - dt.datetime.fromisoformat(order.created)).total_seconds()
        except (TypeError, ValueError):  # no or an unreadable creation time: the order cannot age
            return
        if age > self.order_ttl_s:
            order.status = OrderStatus.CLOSED
            self.store.save_order(order)
            log.info("order %s expired unpaid", order.ref)

    def pay_order(self, ref: str, account_id: str | None = None) -> str:
        """A wallet pays order ``ref`` from ``account_id`` (default: the first wallet account with funds).

        Returns the response code: ``00`` paid (or already paid by this call's predecessor), ``25`` no such
        order, ``12`` the order is closed, ``51`` the wallet lacks the funds, ``14`` no such wallet.
        """
        order = self.store.orders.get(ref)
        if order is None:
            return "25"
        self.expire(order)
        if order.status == OrderStatus.PAID:
            return "00"
        if order.status != OrderStatus.PENDING:
            return "12"
        account = self._payer(account_id, order.amount_fen)
        if account is None:
            return "14"
        if account.available_fen < order.amount_fen:
            return "51"
        account.balance_fen -= order.amount_fen
        self.store.save_account(account)
        terminal = self.store.terminals.get(order.tid)
        batch = terminal.batch if terminal else order.batch
        txn = self.store.new_txn(
            tid=order.tid,
            mid=order.mid,
            batch=batch,
            trace=order.trace,
            kind=TxnKind.QR_ORDER,
            mti="0200",
            amount_fen=order.amount_fen,
            response_code="00",
            status=TxnStatus.ACTIVE,
            rrn=order.ref,
            account_id=account.id,
            pan_masked="QR " + (account.wallet or "wallet"),
            balance_delta=-order.amount_fen,
            created=self.now().isoformat(),
        )
        order.status, order.account_id, order.txn_id = OrderStatus.PAID, account.id, txn.id
        self.store.save_order(order)
        log.info("order %s paid by wallet account %s", ref, account.id)
        return "00"

    def paid_txn(self, order: QrOrder) -> Txn | None:
        """The purchase a paid order became."""
        return self.store.txns.get(order.txn_id) if order.txn_id is not None else None

    def _payer(self, account_id: str | None, amount_fen: int) -> Account | None:
        if account_id is not None:
            return self.store.accounts.get(account_id)
        wallets = [a for a in self.store.accounts.values() if a.wallet]
        funded = [a for a in wallets if a.available_fen >= amount_fen]
        choice = funded or wallets
        return choice[0] if choice else None


def masked_code(code: str) -> str:
    """A scanned code as logs and transactions keep it (the first two and last four digits)."""
    return mask_code(code)
