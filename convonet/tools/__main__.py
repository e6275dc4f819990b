"""``python -m convonet.tools GROUP``: serve one tool group over stdio.

The agent process starts one of these per group; its only client is that process, so the
caller's identity may travel in the request ``_meta``. It dies with that process
(:mod:`convonet.tools.orphans`), so the guard is set before anything else is imported.
"""

import sys

from convonet.tools.orphans import die_with_parent


def main(argv: list[str]) -> int:
    """Run the stdio server for the group named in ``argv``."""
    die_with_parent()
    # Imported only now: the guard against orphans comes first, these take a while.
    from functools import partial

    from convonet.domains.registry import add_domain_paths, group_modules
    from convonet.settings import Settings
    from convonet.tools.resources import open_resources
    from convonet.tools.server import build_server

    settings = Settings()
    add_domain_paths(settings.domain_paths)
    groups = group_modules()
    if len(argv) != 1 or argv[0] not in groups:
        print(f"usage: python -m convonet.tools {{{'|'.join(groups)}}}", file=sys.stderr)
        return 2
    server = build_server(
        f"convonet-{argv[0]}",
        [argv[0]],
        partial(open_resources, settings, trust_meta=True),
        log_level="WARNING",  # stderr is the parent's terminal; keep it for problems
    )
    server.run("stdio")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
