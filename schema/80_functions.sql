CREATE FUNCTION prop_trading_model.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER orders_touch_updated_at
    BEFORE UPDATE ON prop_trading_model.orders
    FOR EACH ROW EXECUTE FUNCTION prop_trading_model.touch_updated_at();

CREATE TRIGGER positions_touch_updated_at
    BEFORE UPDATE ON prop_trading_model.positions
    FOR EACH ROW EXECUTE FUNCTION prop_trading_model.touch_updated_at();

-- Record one fill: insert the trade, advance the order, roll the position.
CREATE FUNCTION prop_trading_model.apply_fill(
    p_order_id     bigint,
    p_quantity     numeric,
    p_price        numeric,
    p_executed_at  timestamptz DEFAULT now()
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_order     prop_trading_model.orders%ROWTYPE;
    v_signed    numeric;
    v_trade_id  bigint;
BEGIN
    SELECT * INTO v_order
      FROM prop_trading_model.orders
     WHERE order_id = p_order_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order % not found', p_order_id;
    END IF;
    IF v_order.status NOT IN ('new', 'partially_filled') THEN
        RAISE EXCEPTION 'order % is %', p_order_id, v_order.status;
    END IF;
    IF v_order.filled_quantity + p_quantity > v_order.quantity THEN
        RAISE EXCEPTION 'fill of % overfills order %', p_quantity, p_order_id;
    END IF;

    INSERT INTO prop_trading_model.trades (order_id, instrument_id, quantity, price, executed_at)
    VALUES (p_order_id, v_order.instrument_id, p_quantity, p_price, p_executed_at)
    RETURNING trade_id INTO v_trade_id;

    UPDATE prop_trading_model.orders
       SET filled_quantity = filled_quantity + p_quantity,
           status = CASE WHEN filled_quantity + p_quantity = quantity
                         THEN 'filled'
                         ELSE 'partially_filled'
                    END::prop_trading_model.order_status
     WHERE order_id = p_order_id;

    v_signed := CASE WHEN v_order.side = 'buy' THEN p_quantity ELSE -p_quantity END;

    INSERT INTO prop_trading_model.positions AS p (account_id, instrument_id, quantity, avg_price)
    VALUES (v_order.account_id, v_order.instrument_id, v_signed, p_price)
    ON CONFLICT (account_id, instrument_id) DO UPDATE
       SET quantity = p.quantity + EXCLUDED.quantity,
           avg_price = CASE
               WHEN p.quantity + EXCLUDED.quantity = 0 THEN NULL
               WHEN p.quantity = 0 OR sign(p.quantity) = sign(EXCLUDED.quantity)
                   THEN (p.quantity * coalesce(p.avg_price, 0) + EXCLUDED.quantity * EXCLUDED.avg_price)
                        / (p.quantity + EXCLUDED.quantity)
               WHEN sign(p.quantity + EXCLUDED.quantity) <> sign(p.quantity)
                   THEN EXCLUDED.avg_price   -- flipped through flat: new cost basis
               ELSE p.avg_price              -- reduced: cost basis unchanged
           END;

    RETURN v_trade_id;
END;
$$;
