"""Comparison reports (report), their diagrams (diagram), highlighting (highlight) and
prices (pricing)."""
