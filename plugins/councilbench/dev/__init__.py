"""The demo, the benchmark, fake servers and sample generators. Production code never
imports this package (an import-linter contract checks it)."""
