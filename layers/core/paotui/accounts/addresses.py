"""Customers' address books: places to deliver to, at most ``max_addresses_per_user``, one the default.

Which address is the default is the user's ``default_address_id``, so there
is exactly one whenever the book holds any, and moving it is a single write.
Every change to what the book holds or to its default is a transaction that
compares-and-sets the user's ``address_book_version``: concurrent changes
can't pass the limit or lose the default; the loser reads again and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from paotui.accounts.models import EditAddress, NewAddress
from paotui.accounts.records import AddressRecord, UserRecord
from paotui.accounts.users import account_merged, get_user
from paotui.platform import clock
from paotui.platform.dynamo import LatLngMap, failed_conditions, transact_write, update_if
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from paotui.platform.ids import new_id
from paotui.platform.observability import logger

_RETRIES = 3
_T = TypeVar("_T")


@dataclass(frozen=True)
class Entry:
    address: AddressRecord
    is_default: bool


@dataclass(frozen=True)
class AddressBook:
    user: UserRecord
    addresses: list[AddressRecord]  # oldest first: ids are time-sortable

    def get(self, address_id: str) -> AddressRecord:
        """The caller's address; another user's id is simply not in this book (404, not 403)."""
        for address in self.addresses:
            if address.id == address_id:
                return address
        raise _not_found()

    def is_default(self, address: AddressRecord) -> bool:
        return address.id == self.user.default_address_id

    def entries(self) -> list[Entry]:
        """The default first, then the newest first."""
        newest_first = sorted(self.addresses, key=lambda address: address.id, reverse=True)
        return sorted((Entry(a, self.is_default(a)) for a in newest_first), key=lambda entry: not entry.is_default)


def read(user_id: str) -> AddressBook:
    user = get_user(user_id)
    if user.merged_into:
        raise account_merged()
    return AddressBook(user, list(AddressRecord.query(user_id, consistent_read=True)))


def add(user_id: str, new: NewAddress, *, limit: int) -> Entry:
    def write(book: AddressBook) -> Entry:
        if len(book.addresses) >= limit:
            raise Unprocessable(
                f"An address book holds at most {limit} addresses; delete one first.",
                code="TOO_MANY_ADDRESSES",
                details={"limit": limit},
            )
        now = clock.now_iso()
        fields = new.model_dump(exclude={"is_default", "location"})
        address = AddressRecord(
            user_id,
            new_id("adr_"),
            location=LatLngMap(**new.location.model_dump()),
            created_at=now,
            updated_at=now,
            **fields,
        )
        becomes_default = new.is_default or not book.user.default_address_id
        with transact_write() as transaction:
            transaction.save(address, condition=AddressRecord.id.does_not_exist())
            _stamp(transaction, book, *([UserRecord.default_address_id.set(address.id)] if becomes_default else []))
        return Entry(address, becomes_default)

    return _changing(user_id, write)


def edit(user_id: str, address_id: str, change: EditAddress) -> Entry:
    """Change the named fields; ``is_default: true`` moves the default here in the same transaction."""
    fields = change.model_dump(exclude_unset=True)
    make_default = fields.pop("is_default", None)

    def write(book: AddressBook) -> Entry:
        address = book.get(address_id)
        if make_default is False and book.is_default(address):
            raise Unprocessable("Make another address the default instead.", code="DEFAULT_ADDRESS_REQUIRED")
        actions = [_set(name, value) for name, value in fields.items()]
        actions.append(AddressRecord.updated_at.set(clock.now_iso()))
        if make_default and not book.is_default(address):
            with transact_write() as transaction:
                transaction.update(address, actions=actions, condition=AddressRecord.id.exists())
                _stamp(transaction, book, UserRecord.default_address_id.set(address.id))
            address.refresh(consistent_read=True)
            return Entry(address, True)
        if not update_if(address, actions, condition=AddressRecord.id.exists()):
            raise _not_found()  # deleted since it was read
        return Entry(address, book.is_default(address))

    return _changing(user_id, write)


def remove(user_id: str, address_id: str) -> None:
    """Delete an address; when it was the default, the newest remaining one becomes the default."""

    def write(book: AddressBook) -> None:
        address = book.get(address_id)
        default_moves = []
        if book.is_default(address):
            rest = [other for other in book.addresses if other.id != address.id]
            default_moves.append(
                UserRecord.default_address_id.set(rest[-1].id) if rest else UserRecord.default_address_id.remove()
            )
        with transact_write() as transaction:
            transaction.delete(address, condition=AddressRecord.id.exists())
            _stamp(transaction, book, *default_moves)

    _changing(user_id, write)


def move_all(absorbed: UserRecord, survivor: UserRecord) -> int:
    """Move every address of a merged-away user to the survivor (accounts.merging); safe to re-run.

    One transaction per address, so a crash moves each address wholly or not
    at all. The limit is not applied (a merge loses nothing); the absorbed
    default goes first, so it becomes the survivor's default if it has none.
    """
    addresses = sorted(
        AddressRecord.query(absorbed.id, consistent_read=True),
        key=lambda address: address.id != absorbed.default_address_id,
    )
    moved = 0
    for address in addresses:
        copy = AddressRecord(survivor.id, address.id, **_contents(address))
        try:
            with transact_write() as transaction:  # in the order pynamodb sends them (see failed_conditions)
                transaction.delete(address, condition=AddressRecord.id.exists())
                transaction.save(copy)
                transaction.update(
                    survivor,
                    actions=[
                        UserRecord.address_book_version.add(1),
                        UserRecord.default_address_id.set(UserRecord.default_address_id | address.id),
                    ],
                    condition=UserRecord.id.exists(),
                )
        except TransactWriteError as error:
            already_moved = failed_conditions(error)[:1] == [True]  # by another run of this merge
            if not already_moved:
                raise
            continue
        moved += 1
    if moved:
        logger.info("addresses moved", extra={"from": absorbed.id, "to": survivor.id, "addresses": moved})
    return moved


def _changing(user_id: str, write: Callable[[AddressBook], _T]) -> _T:
    """Run ``write`` on a fresh read of the book until no concurrent change gets in between."""
    for _ in range(_RETRIES):
        try:
            return write(read(user_id))
        except TransactWriteError as error:
            if not any(failed_conditions(error)):
                raise
    raise Conflict("The address book kept changing; try again.", code="CONCURRENT_UPDATE")


def _stamp(transaction: TransactWrite, book: AddressBook, *actions: Action) -> None:
    """Add to ``transaction``: the book is still as read (and its owner not merged away), and now changed."""
    version = UserRecord.address_book_version
    read_version = book.user.address_book_version
    unchanged = version.does_not_exist() if read_version is None else version == read_version
    transaction.update(
        book.user,
        actions=[version.add(1), *actions],
        condition=UserRecord.id.exists() & UserRecord.merged_into.does_not_exist() & unchanged,
    )


def _set(name: str, value: Any) -> Action:
    attribute = getattr(AddressRecord, name)
    if value is None:
        return attribute.remove()
    return attribute.set(LatLngMap(**value) if name == "location" else value)


def _contents(address: AddressRecord) -> dict[str, Any]:
    return {name: value for name, value in address.attribute_values.items() if name not in ("user_id", "id")}


def _not_found() -> NotFound:
    return NotFound("No such address.", code="ADDRESS_NOT_FOUND")
