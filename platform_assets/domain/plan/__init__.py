"""The batch plan: clauses from the outline, page ranges cut at clause starts, and their tiling."""
