"""What an estimate row holds, for the run that writes it and the publication that makes it safe, without
either loading the statistics libraries."""

# Each group's children and, for an event, those with it: the counts behind an estimate, which disclosure
# control rounds or withholds; and the statistics computed from them.
GROUP_COUNTS = {"exposed_children": "exposed_with_outcome", "comparison_children": "comparison_with_outcome"}
COUNTS = tuple(column for pair in GROUP_COUNTS.items() for column in pair)
STATISTICS = ("mean_exposed", "mean_comparison", "difference", "ci_low", "ci_high", "p_value")
