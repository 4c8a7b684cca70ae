"""The `blocktrade` command line."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="blocktrade")
def main() -> None:
    """BlockTrade: examine trade-finance presentations under UCP 600 / ISBP 821."""


if __name__ == "__main__":
    main()
