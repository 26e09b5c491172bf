"""The newsletter: subscribers, double opt-in, one-click unsubscribe and the fan-out."""
