"""Render stage: a queue item becomes what a reader sees, per format family."""
