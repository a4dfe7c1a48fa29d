"""Pay benchmarking (issue 16): catalogue (roles, NJC pay spine) and the council_pay source kind's modules."""
