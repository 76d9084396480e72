"""Campaigns: long, hostile runs against a real server (fuzzing, crashes)."""
