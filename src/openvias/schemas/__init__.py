"""VIAS v2 wire models: field names, patterns and shapes of the API definitions."""
