"""Building blocks of the synthetic demo data set; the entry point is payables.demo_data."""
