"""Shared behavioural formulas linking latent health to usage (used by the simulation and usage writer)."""

from __future__ import annotations

import numpy as np


def engagement(hn: np.ndarray, days_since_first_start: np.ndarray) -> np.ndarray:
    """Share of potential users active in a 28-day window; ramps up over the first 90 days."""
    ramp = np.clip(0.55 + 0.45 * np.asarray(days_since_first_start, dtype=np.float64) / 90.0, 0.55, 1.0)
    return (0.15 + 0.75 * hn) * ramp


def seat_demand(potential: np.ndarray, share: np.ndarray, eng: np.ndarray) -> np.ndarray:
    """Users who would be monthly active on a per-seat product without a seat cap."""
    return potential * share * eng


def automation_calls(potential: np.ndarray, eng: np.ndarray, calls_per_user: np.ndarray) -> np.ndarray:
    """Expected Automation Module api_calls per day."""
    return potential * eng * calls_per_user


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
