CREATE TABLE prop_trading_model.trades (
    trade_id       bigserial,
    order_id       bigint NOT NULL REFERENCES prop_trading_model.orders (order_id),
    instrument_id  bigint NOT NULL REFERENCES prop_trading_model.instruments (instrument_id),
    quantity       numeric(18, 4) NOT NULL CHECK (quantity > 0),
    price          numeric(18, 8) NOT NULL CHECK (price > 0),
    fee            numeric(18, 8) NOT NULL DEFAULT 0,
    executed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trade_id, executed_at)
) PARTITION BY RANGE (executed_at);

COMMENT ON TABLE prop_trading_model.trades IS 'Executions (fills), range-partitioned by month on executed_at (UTC bounds).';

CREATE INDEX trades_instrument_executed_idx
    ON prop_trading_model.trades (instrument_id, executed_at);

CREATE TABLE prop_trading_model.trades_2026_01 PARTITION OF prop_trading_model.trades
    FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00');
CREATE TABLE prop_trading_model.trades_2026_02 PARTITION OF prop_trading_model.trades
    FOR VALUES FROM ('2026-02-01 00:00:00+00') TO ('2026-03-01 00:00:00+00');
CREATE TABLE prop_trading_model.trades_2026_03 PARTITION OF prop_trading_model.trades
    FOR VALUES FROM ('2026-03-01 00:00:00+00') TO ('2026-04-01 00:00:00+00');
CREATE TABLE prop_trading_model.trades_2026_04 PARTITION OF prop_trading_model.trades
    FOR VALUES FROM ('2026-04-01 00:00:00+00') TO ('2026-05-01 00:00:00+00');
CREATE TABLE prop_trading_model.trades_2026_05 PARTITION OF prop_trading_model.trades
    FOR VALUES FROM ('2026-05-01 00:00:00+00') TO ('2026-06-01 00:00:00+00');
CREATE TABLE prop_trading_model.trades_2026_06 PARTITION OF prop_trading_model.trades
    FOR VALUES FROM ('2026-06-01 00:00:00+00') TO ('2026-07-01 00:00:00+00');
CREATE TABLE prop_trading_model.trades_default PARTITION OF prop_trading_model.trades DEFAULT;
