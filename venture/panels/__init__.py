"""A call's review panel: the draw, members' answers, conflicts of interest, assignments and progress."""
