CREATE TYPE prop_trading_model.side AS ENUM ('buy', 'sell');

CREATE TYPE prop_trading_model.order_status AS ENUM (
    'new',
    'partially_filled',
    'filled',
    'cancelled',
    'rejected'
);
