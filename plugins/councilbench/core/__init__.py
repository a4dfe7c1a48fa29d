"""The bottom layer: settings (every COUNCILBENCH_* variable, the paths), the calendar
(months, financial years, due dates) and the catalogue (the registry and the metric catalogue)."""
