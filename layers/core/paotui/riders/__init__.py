"""Riders: who is online where, with how much room for another order."""
