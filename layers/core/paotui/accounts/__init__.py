"""Accounts: users, their login identities (phone, WeChat), one-time codes and API tokens."""
