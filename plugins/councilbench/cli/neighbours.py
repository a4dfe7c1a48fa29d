"""`councilbench neighbours`: the nearest neighbours deprivation and density change, from
the marts: each council's neighbours as built beside those the same z-scores give with
deprivation and density weighted 0 (the model before they were added).

    councilbench neighbours              # the councils whose neighbours changed, and a count
    councilbench neighbours --all        # every council, changed or not
"""

from __future__ import annotations


def add_command(subparsers) -> None:
    """Register `councilbench neighbours` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "neighbours",
        help="the nearest neighbours that deprivation and density change (before vs now)",
        description="Read mart_council_neighbours and mart_neighbour_model_features and print, for each council "
        "whose nearest neighbours differ, its neighbours with deprivation and density weighted 0 (before) and "
        "as built (now), then how many councils changed.",
    )
    p.add_argument("--all", action="store_true", help="every council, including those whose neighbours did not change")
    p.set_defaults(func=cmd_neighbours)


def cmd_neighbours(args) -> int:
    from councilbench.reports import neighbour_changes
    from councilbench.warehouse.connection import resolve

    model, changes = neighbour_changes.compare(resolve())
    if not changes:
        print("the marts hold no nearest neighbours: build the warehouse first (councilbench dbt build)")
        return 1
    print("\n".join(neighbour_changes.lines(model, changes, everyone=args.all)))
    return 0
