"""Evaluations of services with administrative data: cohorts, matching, balance and outcome estimates."""
