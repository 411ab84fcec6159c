"""Open calls (项目征集): rules, budget, rubric and the phases of a call."""
