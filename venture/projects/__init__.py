"""Funded projects (step 8 of a call): the agreement, milestones and progress
reports, tranches of money, the mid-term and final evaluation on 100 points,
and the two-year bar that follows a failed evaluation."""
