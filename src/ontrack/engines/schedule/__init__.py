"""Scheduling: critical path, resource levelling with assignment, optimal schedules."""
