"""Forecasting: Monte Carlo delivery dates and throughput forecasts."""
