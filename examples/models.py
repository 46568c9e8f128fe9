"""SQLAlchemy 2.x models of the example prop trading schema in ``schema/``.

The models describe the same tables as ``schema/*.sql`` -- the ``prop_trading_model``
schema, the ``side`` and ``order_status`` enums, and the ``accounts``, ``instruments``,
``orders``, ``trades`` and ``positions`` tables -- with identical column types, server
defaults, identity columns, CHECK / UNIQUE / FOREIGN KEY constraints, indexes (expression
and partial ones included) and comments. Constraint names are spelled out where the SQL
relies on PostgreSQL's generated names (``<table>_<column>_check``), so both sides agree.

What ``metadata.create_all`` cannot express, and is therefore left out of the comparison:

* the partitions of ``trades`` (``trades_2026_01`` ... ``trades_2026_06``, ``trades_default``):
  the parent is declared ``PARTITION BY RANGE (executed_at)`` through
  ``postgresql_partition_by``, but SQLAlchemy has no construct for ``PARTITION OF``;
* the view ``open_orders`` and the materialized view ``daily_volume`` (with its unique
  index): SQLAlchemy Core has no view DDL;
* the functions ``touch_updated_at`` and ``apply_fill``, and the two
  ``*_touch_updated_at`` triggers that call the former.

So the two sources agree once those objects are excluded (``EXCLUDE`` below is the minimal
list of ``schema.name`` globs)::

    diffcheck diff models:examples.models:Base schema \\
        --exclude 'prop_trading_model.trades_20*' \\
        --exclude 'prop_trading_model.trades_default' \\
        --exclude 'prop_trading_model.open_orders' \\
        --exclude 'prop_trading_model.daily_volume' \\
        --exclude 'prop_trading_model.*touch_updated_at' \\
        --exclude 'prop_trading_model.apply_fill'

The schema comment is the one thing outside the tables that the models add through plain
DDL (SQLAlchemy has no ``COMMENT ON SCHEMA`` construct): an ``after_create`` hook on the
metadata, which ``create_all`` runs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA = "prop_trading_model"

#: ``--exclude`` globs for the objects the models cannot express (see the module docstring).
EXCLUDE: tuple[str, ...] = (
    f"{SCHEMA}.trades_20*",  # monthly partitions of trades
    f"{SCHEMA}.trades_default",  # the default partition
    f"{SCHEMA}.open_orders",  # view
    f"{SCHEMA}.daily_volume",  # materialized view (and, through table_name, its index)
    f"{SCHEMA}.*touch_updated_at",  # trigger function and the triggers that call it
    f"{SCHEMA}.apply_fill",  # function
)


class Side(enum.Enum):
    """``prop_trading_model.side``."""

    buy = "buy"
    sell = "sell"


class OrderStatus(enum.Enum):
    """``prop_trading_model.order_status``; label order matters to PostgreSQL."""

    new = "new"
    partially_filled = "partially_filled"
    filled = "filled"
    cancelled = "cancelled"
    rejected = "rejected"


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is what diffcheck materializes."""


side_type = Enum(Side, name="side", schema=SCHEMA, metadata=Base.metadata)
order_status_type = Enum(OrderStatus, name="order_status", schema=SCHEMA, metadata=Base.metadata)

_NOW = text("now()")

event.listen(
    Base.metadata,
    "after_create",
    DDL(
        f"COMMENT ON SCHEMA {SCHEMA} IS "
        "'Proprietary trading: accounts, orders, fills and positions.'"
    ),
)


class Account(Base):
    """Trading books."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "base_currency IN ('USD', 'EUR', 'GBP')", name="accounts_base_currency_check"
        ),
        CheckConstraint("max_gross_exposure > 0", name="accounts_max_gross_exposure_check"),
        UniqueConstraint("code", name="accounts_code_key"),
        {
            "schema": SCHEMA,
            "comment": "Trading books; every order and position belongs to exactly one.",
        },
    )

    account_id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    base_currency: Mapped[str] = mapped_column(String(3), server_default=text("'USD'"))
    max_gross_exposure: Mapped[decimal.Decimal | None] = mapped_column(Numeric(20, 2))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class Instrument(Base):
    """Tradable instruments; symbols are unique case-insensitively per venue."""

    __tablename__ = "instruments"

    instrument_id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32))
    venue: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    tick_size: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 8))
    lot_size: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    is_tradable: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    __table_args__ = (
        CheckConstraint("currency IN ('USD', 'EUR', 'GBP')", name="instruments_currency_check"),
        CheckConstraint("tick_size > 0", name="instruments_tick_size_check"),
        CheckConstraint("lot_size > 0", name="instruments_lot_size_check"),
        Index("instruments_symbol_venue_uidx", func.upper(symbol), venue, unique=True),
        Index("instruments_tradable_idx", venue, symbol, postgresql_where=is_tradable),
        {"schema": SCHEMA},
    )


class Order(Base):
    """Orders; ``updated_at`` is maintained by a trigger in the SQL schema."""

    __tablename__ = "orders"

    order_id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(Account.account_id))
    instrument_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(Instrument.instrument_id))
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[Side] = mapped_column(side_type)
    quantity: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 4))
    filled_quantity: Mapped[decimal.Decimal] = mapped_column(
        Numeric(18, 4), server_default=text("0")
    )
    limit_price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(18, 8))
    status: Mapped[OrderStatus] = mapped_column(order_status_type, server_default=text("'new'"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="orders_quantity_check"),
        CheckConstraint(
            "filled_quantity >= 0 AND filled_quantity <= quantity",
            name="orders_filled_quantity_check",
        ),
        CheckConstraint(
            "limit_price IS NULL OR limit_price > 0", name="orders_limit_price_positive"
        ),
        UniqueConstraint("account_id", "client_order_id", name="orders_client_order_id_key"),
        Index("orders_instrument_created_idx", instrument_id, created_at.desc()),
        {"schema": SCHEMA},
    )


class Trade(Base):
    """Executions, range-partitioned by ``executed_at`` (partitions live in SQL only)."""

    __tablename__ = "trades"

    # bigserial: a composite primary key needs autoincrement=True spelled out.
    trade_id: Mapped[int] = mapped_column(BigInteger, autoincrement=True)
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(Order.order_id))
    instrument_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(Instrument.instrument_id))
    quantity: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 4))
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 8))
    fee: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 8), server_default=text("0"))
    executed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)

    __table_args__ = (
        PrimaryKeyConstraint("trade_id", "executed_at", name="trades_pkey"),
        CheckConstraint("quantity > 0", name="trades_quantity_check"),
        CheckConstraint("price > 0", name="trades_price_check"),
        Index("trades_instrument_executed_idx", instrument_id, executed_at),
        {
            "schema": SCHEMA,
            "comment": "Executions (fills), range-partitioned by month on executed_at "
            "(UTC bounds).",
            "postgresql_partition_by": "RANGE (executed_at)",
        },
    )


class Position(Base):
    """Net position per account and instrument."""

    __tablename__ = "positions"
    __table_args__ = ({"schema": SCHEMA},)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(Account.account_id), primary_key=True, autoincrement=False
    )
    instrument_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(Instrument.instrument_id), primary_key=True, autoincrement=False
    )
    quantity: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 4), server_default=text("0"))
    avg_price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(18, 8))
    realized_pnl: Mapped[decimal.Decimal] = mapped_column(Numeric(20, 2), server_default=text("0"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
