"""What managers read outside the trackers: the report."""
