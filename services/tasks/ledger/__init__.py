"""台账: supervision items, units and people in and out of Excel (.xlsx, Chinese headers)."""
