"""Catalog: merchants, their products and stock, delivery fees and quotes."""
