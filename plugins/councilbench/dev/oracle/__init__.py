"""The independent oracle (issue 18): the published marts recomputed from what the loaders
wrote, never from the dbt SQL; verdict.py runs every part. Never imported by production code."""
