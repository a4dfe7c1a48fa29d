"""The `councilbench` command line: thin commands over the library."""
