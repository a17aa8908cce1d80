"""Files for people outside the warehouse: finance payout files (and partner feeds)."""
