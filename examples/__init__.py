"""Examples for diffcheck: SQLAlchemy models of the example schema in ``schema/``."""
