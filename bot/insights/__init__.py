"""What managers see: metrics rolled up from the database, outliers, recurrence."""
