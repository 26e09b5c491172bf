"""Deliver stage: channel adapters and the one delivery core that drives them."""
