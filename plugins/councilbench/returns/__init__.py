"""Monthly council returns: pull, land, validate, notify, load."""
