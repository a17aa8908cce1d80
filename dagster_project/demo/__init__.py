"""Deterministic, vectorised demo landing-data generator for PartnerPulse (SPEC §2)."""

from .generator import DemoManifest, generate_demo_data

__all__ = ["DemoManifest", "generate_demo_data"]
