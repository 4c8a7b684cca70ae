"""Renderers of examination results: console tables, discrepancy reports, SWIFT MT734."""
