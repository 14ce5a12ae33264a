"""`sharon`: the trust admin's command line (like Mastodon's tootctl).

Every failure prints one line starting `sharon: ` and exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from actors.errors import ActorError
from actors.retention import PolicyChange
from node import demo, manage
from node.app import create_app
from node.logs import PathOnlyAccessLogger


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        try:
            return Path(args.password_file).read_text().rstrip("\r\n")
        except OSError as error:
            raise manage.ManageError(
                f"cannot read {args.password_file}: {error.strerror}"
            ) from None
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _switch(value: str | None) -> bool | None:
    return None if value is None else value == "on"


def _policy(args: argparse.Namespace) -> PolicyChange:
    return PolicyChange(
        posting=args.posting,
        premoderation=_switch(args.premoderation),
        join_approval=_switch(args.join_approval),
        retention_days=args.retention_days,
    )


def _serve(directory: Path) -> None:
    settings = manage.settings_for(directory)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    host, port = settings.bind
    print(f"{settings.trust_name}: serving {settings.url}", flush=True)
    web.run_app(
        create_app(settings),
        host=host,
        port=port,
        print=None,
        access_log_class=PathOnlyAccessLogger,
    )


def _run(args: argparse.Namespace) -> None:
    command = args.command
    if command == "init":
        settings = manage.init_node(
            Path(args.dir), url=args.url, name=args.name, database_url=args.database_url
        )
        print(f"Created node {settings.trust_name} at {settings.url} in {args.dir}")
    elif command == "serve":
        _serve(Path(args.dir))
    elif command == "demo":
        demo.main(base_port=args.port)
    elif command == "user":
        person_id = asyncio.run(
            manage.add_user(
                Path(args.dir),
                args.username,
                args.role,
                _password(args),
                args.pseudonym,
                totp_secret=args.totp_secret,
            )
        )
        print(f"Added {args.role} {args.username} ({person_id})")
    elif command == "peer" and args.peer_command == "add":
        peer = asyncio.run(manage.peer_add(Path(args.dir), args.peer_url))
        print(f"Agreed to federate with {peer.name} ({peer.url}); key {peer.key_fingerprint}")
    elif command == "peer" and args.peer_command == "list":
        rows = asyncio.run(manage.peer_list(Path(args.dir)))
        if not rows:
            print("No peers yet. Add one with: sharon peer add DIR PEER_URL")
        for peer, queued in rows:
            success, failure = (
                moment.isoformat(timespec="seconds") if moment else "never"
                for moment in (peer.last_success_at, peer.last_failure_at)
            )
            print(
                f"{peer.url}\t{peer.name}\tstate={peer.state}\tqueued={queued}"
                f"\tlast_success={success}\tlast_failure={failure}\tkey={peer.key_fingerprint}"
            )
    elif command == "subnet" and args.subnet_command == "create":
        uri = asyncio.run(manage.subnet_create(Path(args.dir), args.slug, args.name))
        print(f"Created subnet {uri}")
    elif command == "subnet" and args.subnet_command == "share":
        added = asyncio.run(manage.subnet_share(Path(args.dir), args.slug, args.peer_url))
        print(
            f"Invited {args.peer_url} to share {args.slug}; it is shared once they accept"
            if added
            else "Already invited or shared"
        )
    elif command == "subnet" and args.subnet_command == "unshare":
        dropped = asyncio.run(manage.subnet_unshare(Path(args.dir), args.slug, args.peer_url))
        print(f"Stopped sharing {args.slug} with {args.peer_url}; {dropped} references dropped")
    elif command == "subnet" and args.subnet_command == "policy":
        subnet = asyncio.run(manage.subnet_policy(Path(args.dir), args.slug, _policy(args)))
        print(
            f"{subnet.slug}: posting={subnet.posting_policy} premoderation={subnet.premoderation}"
            f" join_approval={subnet.join_approval} retention_days={subnet.retention_days}"
        )
    elif command == "peer" and args.peer_command == "remove":
        dropped = asyncio.run(manage.peer_remove(Path(args.dir), args.peer_url))
        print(f"No longer federating with {args.peer_url}; {dropped} references dropped")
    elif command == "share" and args.share_command == "list":
        offers = asyncio.run(manage.share_list(Path(args.dir)))
        if not offers:
            print("No share invitations waiting.")
        for offer, peer in offers:
            print(f"{offer.subnet_uri}\t{offer.name}\tfrom {peer.name} ({peer.url})")
    elif command == "share":
        accept = args.share_command == "accept"
        asyncio.run(manage.share_answer(Path(args.dir), args.subnet_uri, accept=accept))
        print(f"{'Accepted' if accept else 'Declined'} {args.subnet_uri}")
    elif command == "retention":
        count = asyncio.run(manage.retention_run(Path(args.dir)))
        print(f"Erased {count} posts older than their subnet's retention period")
    elif command == "subnet" and args.subnet_command == "add":
        uri = asyncio.run(manage.subnet_add(Path(args.dir), args.subnet, args.username))
        print(f"Added {args.username} to {uri}")
    elif command == "keys":
        outcomes = asyncio.run(manage.keys_rotate(Path(args.dir)))
        print("New keys written; the old ones are kept as retired-*.pem.")
        for name, status in outcomes:
            told = f"told (HTTP {status})" if status and status < 300 else f"NOT told ({status})"
            print(f"  {name}: {told}")
        print("Restart the node (sharon serve) so that it signs with the new keys.")
    elif command == "invite":
        link, code = asyncio.run(
            manage.invite_create(
                Path(args.dir), by=args.by, role=args.role, subnets_=args.subnet or []
            )
        )
        print(f"Invitation for a {args.role}, valid 7 days, once:\n  link: {link}\n  code: {code}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="sharon", description="Run and manage a SHaRON node.")
    sub = top.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create a new node in DIR")
    init.add_argument("dir")
    init.add_argument(
        "--url", required=True, help="public base URL, e.g. https://sharon.example.nhs.uk"
    )
    init.add_argument("--name", required=True, help="the trust's name")
    init.add_argument("--database-url", help="postgresql://… (default: SQLite in DIR)")

    serve = sub.add_parser("serve", help="run the node")
    serve.add_argument("dir")

    demo = sub.add_parser("demo", help="three trusts on 127.0.0.1, until Ctrl-C")
    demo.add_argument("--port", type=int, default=8701, help="first port (default 8701)")

    user = sub.add_parser("user", help="manage people").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="add a person (password from stdin or --password-file)")
    add.add_argument("dir")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["admin", "clinician", "patient", "carer", "professional"]
    )
    add.add_argument("--password-file")
    add.add_argument("--pseudonym", help="name others see (default: the username)")
    add.add_argument(
        "--totp-secret", help="staff: a base32 TOTP secret (else they enrol at first sign-in)"
    )

    peer = sub.add_parser("peer", help="agreed peer nodes").add_subparsers(
        dest="peer_command", required=True
    )
    peer_add = peer.add_parser("add", help="agree to federate with a node")
    peer_add.add_argument("dir")
    peer_add.add_argument("peer_url")
    peer.add_parser("list", help="peers and their health").add_argument("dir")
    peer_remove = peer.add_parser("remove", help="stop federating and drop all of a peer's data")
    peer_remove.add_argument("dir")
    peer_remove.add_argument("peer_url")

    share = sub.add_parser("share", help="invitations to share other trusts' subnets")
    share_sub = share.add_subparsers(dest="share_command", required=True)
    share_sub.add_parser("list", help="pending invitations").add_argument("dir")
    for verb in ("accept", "decline"):
        answer = share_sub.add_parser(verb, help=f"{verb} an invitation")
        answer.add_argument("dir")
        answer.add_argument("subnet_uri")

    retention = sub.add_parser("retention", help="content retention").add_subparsers(
        dest="retention_command", required=True
    )
    retention.add_parser("run", help="erase posts past their retention period").add_argument("dir")

    subnet = sub.add_parser("subnet", help="subnets").add_subparsers(
        dest="subnet_command", required=True
    )
    create = subnet.add_parser("create", help="create a subnet hosted here")
    create.add_argument("dir")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    share = subnet.add_parser("share", help="share a subnet with an agreed peer")
    share.add_argument("dir")
    share.add_argument("slug")
    share.add_argument("peer_url")
    unshare = subnet.add_parser("unshare", help="stop sharing a subnet with a peer")
    unshare.add_argument("dir")
    unshare.add_argument("slug")
    unshare.add_argument("peer_url")
    policy = subnet.add_parser("policy", help="who may post, moderation, joins, retention")
    policy.add_argument("dir")
    policy.add_argument("slug")
    policy.add_argument("--posting", choices=["all", "staff"])
    policy.add_argument("--premoderation", choices=["on", "off"])
    policy.add_argument("--join-approval", choices=["on", "off"])
    policy.add_argument("--retention-days", type=int, help="0 keeps posts for ever")
    member = subnet.add_parser(
        "add", help="add a person here to a subnet (slug, or URI/handle elsewhere)"
    )
    member.add_argument("dir")
    member.add_argument("subnet")
    member.add_argument("username")

    keys = sub.add_parser("keys", help="the node's signing keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser(
        "rotate", help="new keys; peers are sent an Update signed with the old key"
    ).add_argument("dir")
    invite = sub.add_parser("invite", help="invitations").add_subparsers(
        dest="invite_command", required=True
    )
    invite_create = invite.add_parser("create", help="a one-time invitation (link and code)")
    invite_create.add_argument("dir")
    invite_create.add_argument("--by", required=True, help="the inviting staff member's username")
    invite_create.add_argument(
        "--role", required=True, choices=["admin", "clinician", "patient", "carer", "professional"]
    )
    invite_create.add_argument(
        "--subnet", action="append", help="slug of a subnet they join (repeat for several)"
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        _run(args)
    except (manage.ManageError, ActorError) as error:
        print(f"sharon: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
