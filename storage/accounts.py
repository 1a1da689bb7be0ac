"""Brand accounts and their ingest cursors."""

from datetime import datetime

from sqlmodel import Session, select

from storage.models import Account
from storage.upsert import insert_ignoring_duplicates


def ensure_account(session: Session, *, network: str, account_id: str, handle: str, campaign: str) -> Account:
    # Several processes starting at once on a new database all get here: the unique key picks the one row.
    row = {"network": network, "account_id": account_id, "handle": handle, "campaign": campaign}
    insert_ignoring_duplicates(session, Account, [row])
    account = get_account(session, network=network, account_id=account_id)
    if (account.handle, account.campaign) != (handle, campaign):
        account.handle, account.campaign = handle, campaign
        session.add(account)
    return account


def get_account(session: Session, *, network: str, account_id: str) -> Account | None:
    return session.exec(select(Account).where(Account.network == network, Account.account_id == account_id)).first()


def advance_cursor(session: Session, *, network: str, account_id: str, newest_id: str, at: datetime, order_key) -> None:
    """Move the cursor forward only: `order_key` (the network's) says which of two post ids is newer."""
    account = get_account(session, network=network, account_id=account_id)
    if account.since_id is None or order_key(newest_id) > order_key(account.since_id):
        account.since_id = newest_id
    account.cursor_updated_at = at
    session.add(account)


def campaigns(session: Session) -> list[str]:
    return sorted(set(session.exec(select(Account.campaign))))
