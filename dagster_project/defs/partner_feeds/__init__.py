"""The partner feeds area: each partner's own accounts only (SPEC §7.6), in a folder named from its id.

feeds.py        the feeds (usage, expansion alerts, renewal timelines, health, competitive alerts), the
                safe folder name encoded from a partner id, the index of folders, stale folder cleanup
assets.py       ``exports/partner_feeds``, after publishing
definitions.py  the area's Dagster definitions
"""
