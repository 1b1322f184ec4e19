"""openvias: a self-hosted video intelligent analysis platform, wire-compatible with VIAS v2."""

__version__ = "0.1.0"
