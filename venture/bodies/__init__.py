"""Organizing bodies (主办方): the bureaus, federations, street offices and
foundations that run calls, with their organizers and expert pools."""
