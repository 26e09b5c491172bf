"""Tests of the scheduled service."""
