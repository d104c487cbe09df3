"""Coupons: money off a customer's next order, issued as compensation and redeemed once at order placement."""
