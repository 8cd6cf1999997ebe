"""``python -m okr_sync.sandbox``: run the tracker sandbox in the foreground (same options as ``okr-sync sandbox``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run :func:`sandbox.server.serve`; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m okr_sync.sandbox",
        description="Serve emulated Jira, GitLab and Microsoft Graph (Planner) for okr-sync.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port for the trackers (0 = free port)")
    parser.add_argument("--identity-port", type=int, default=0,
                        help="HTTPS port of the identity platform (default 0 = a free port)")
    parser.add_argument("--fixture", default="demo", help="demo | empty | PATH to a JSON/YAML fixture")
    parser.add_argument("--info", dest="info_path",
                        help="write the machine-readable info JSON here when ready")
    parser.add_argument("--jira-deployment", choices=["cloud", "server"],
                        help="override the fixture's Jira deployment type")
    parser.add_argument("--external-url", action="append", default=[], metavar="NAME=URL",
                        help="build an emulator's absolute URLs from URL (jira, gitlab or planner), like a "
                             "server whose external URL differs from the one clients use; repeatable")
    args = parser.parse_args(argv)
    external = dict(item.partition("=")[::2] for item in args.external_url)

    from okr_sync.sandbox.fixtures import FixtureError
    from okr_sync.sandbox.server import SandboxError, serve

    try:
        return serve(args.host, args.port, args.fixture, args.info_path,
                     jira_deployment=args.jira_deployment, identity_port=args.identity_port,
                     external_urls=external)
    except (SandboxError, FixtureError) as exc:
        print(f"okr-sync sandbox: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
