-- Desired state for the prop trading model.
-- Files in this directory are applied in sorted path order, each as one batch.

CREATE SCHEMA prop_trading_model;

COMMENT ON SCHEMA prop_trading_model IS 'Proprietary trading: accounts, orders, fills and positions.';
