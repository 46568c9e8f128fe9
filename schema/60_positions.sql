CREATE TABLE prop_trading_model.positions (
    account_id     bigint NOT NULL REFERENCES prop_trading_model.accounts (account_id),
    instrument_id  bigint NOT NULL REFERENCES prop_trading_model.instruments (instrument_id),
    quantity       numeric(18, 4) NOT NULL DEFAULT 0,
    avg_price      numeric(18, 8),
    realized_pnl   numeric(20, 2) NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, instrument_id)
);
