"""Figures people look at: the satisfaction index, period statistics, charts, spreadsheet exports.

Reports read storage and the message catalogue, and a small protocol of settings (`reports.config`).
"""
