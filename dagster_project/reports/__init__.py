"""Reports for people: the weekly executive page."""
