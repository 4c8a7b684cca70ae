"""Rule-pack loading and validation, CEL evaluation, findings, screening."""
