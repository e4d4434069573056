"""Scorer export."""
