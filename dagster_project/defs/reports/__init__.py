"""The reports area: the weekly executive page (SPEC §7.4).

executive.py    the page: one self-contained HTML file from the published marts
svg.py          the inline SVG charts (stacked bars, lines)
assets.py       ``reports/executive_page``, after publishing
definitions.py  the area's Dagster definitions
"""
