"""Dagster assets for Hearth, one module per layer."""
