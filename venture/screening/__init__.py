"""Screening (资格初审): each submitted proposal checked against the call's published conditions."""
