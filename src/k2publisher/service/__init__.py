"""The scheduled service: campaigns, selection policy and the public web endpoints."""
