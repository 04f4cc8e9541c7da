"""What parsing costs and how long it takes: timing records and the cost model."""
