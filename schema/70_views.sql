CREATE VIEW prop_trading_model.open_orders AS
SELECT o.order_id,
       o.account_id,
       a.code AS account_code,
       i.symbol,
       o.side,
       o.quantity,
       o.filled_quantity,
       o.quantity - o.filled_quantity AS remaining_quantity,
       o.limit_price,
       o.status,
       o.created_at
  FROM prop_trading_model.orders o
  JOIN prop_trading_model.accounts a ON a.account_id = o.account_id
  JOIN prop_trading_model.instruments i ON i.instrument_id = o.instrument_id
 WHERE o.status IN ('new', 'partially_filled');

CREATE MATERIALIZED VIEW prop_trading_model.daily_volume AS
SELECT (t.executed_at AT TIME ZONE 'UTC')::date AS trade_date,
       t.instrument_id,
       count(*) AS trade_count,
       sum(t.quantity) AS total_quantity,
       sum(t.quantity * t.price) AS notional
  FROM prop_trading_model.trades t
 GROUP BY 1, 2;

-- Unique so the matview can be refreshed CONCURRENTLY.
CREATE UNIQUE INDEX daily_volume_date_instrument_uidx
    ON prop_trading_model.daily_volume (trade_date, instrument_id);
