"""Payments: payment intents per order and provider notify callbacks applied exactly once."""
