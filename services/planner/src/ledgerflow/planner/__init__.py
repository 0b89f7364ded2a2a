"""Planner: turns a canonical order version into the documents it becomes in the books."""
