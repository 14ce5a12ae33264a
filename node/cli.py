"""`sharon`: the trust admin's command line (like Mastodon's tootctl).

Every failure prints one line starting `sharon: ` and exits non-zero. The web app, the
screening model (scikit-learn), backups, the demo and the response-time tables are imported
by the commands that use them: everything else (`peer add`, `user add`, …) starts in about
half the time.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from actors import response_times
from actors.errors import ActorError
from actors.policy import SUBNET_KINDS, Role
from actors.retention import PolicyChange
from actors.screening import dataset as screening_data
from node import logs, manage, processes
from node.settings import Settings

if TYPE_CHECKING:
    from actors.screening import Screener


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


KIND_HELP = "learning: a learning space for professionals and staff alone, never patients or carers"


def _switch(value: str | None) -> bool | None:
    return None if value is None else value == "on"


def _policy(args: argparse.Namespace) -> PolicyChange:
    return PolicyChange(
        posting=args.posting,
        premoderation=_switch(args.premoderation),
        join_approval=_switch(args.join_approval),
        numbers=args.numbers,
        retention_days=args.retention_days,
        audience=args.audience,
        hold_concern=_switch(args.hold_concern),
        peer_messages=_switch(args.peer_messages),
        kind=args.kind,
    )


def _is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql", "postgres"))


def _bind(value: str | None, default: tuple[str, int]) -> tuple[str, int]:
    if value is None:
        return default
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise manage.ManageError(f"--bind takes HOST:PORT, not {value!r}")
    return host, int(port)


def _serve(directory: Path, *, web_only: bool, web_processes: int, bind: str | None) -> int:
    """The web process(es) and, unless `web_only`, the worker process (node/processes.py)."""
    settings = manage.settings_for(directory)
    host, port = _bind(bind, settings.bind)
    logs.configure(logging.INFO)  # JSON lines on stderr (README "Operating a node")
    postgresql = _is_postgresql(settings.database_url)
    if web_processes < 1:
        raise manage.ManageError("--processes must be 1 or more")
    if web_processes > 1 and not postgresql:
        raise manage.ManageError(
            "--processes above 1 needs PostgreSQL (a SQLite node has one web process)"
        )
    screener = _screener(None)  # once, before the children fork: they share it
    print(f"{settings.trust_name}: serving {settings.url}", flush=True)

    def web_process() -> int:
        from aiohttp import web

        from node.app import create_app

        async def app() -> web.Application:
            built = await create_app(settings, role="web", screener=screener)
            built.on_startup.append(_freeze_heap)
            return built

        with logs.off_the_loop():
            web.run_app(
                app(),
                host=host,
                port=port,
                print=None,
                **logs.runner_logging(settings.request_logging),
                reuse_port=postgresql or None,  # several web processes share the port
            )
        return 0

    if web_only and web_processes == 1:
        return web_process()
    children = [processes.Child(f"web {n}", web_process) for n in range(1, web_processes + 1)]
    if not web_only:
        children.append(processes.Child("worker", lambda: _work_here(settings)))
    return processes.Parent(children).run()


async def _freeze_heap(_app: object) -> None:
    processes.freeze_heap()


def _work(directory: Path) -> int:
    """`sharon work`: the worker process alone — every queue and periodic job, no HTTP."""
    settings = manage.settings_for(directory)
    logs.configure(logging.INFO)
    return _work_here(settings)


def _screener(path: Path | None) -> Screener:
    from actors.screening.default import load_screener
    from actors.screening.model import ModelUnavailable

    try:
        return load_screener(path)
    except ModelUnavailable as error:
        raise manage.ManageError(str(error)) from None


def _work_here(settings: Settings) -> int:
    from aiohttp import web

    from node.app import WorkerAlreadyRunning, create_app

    async def work() -> None:
        try:
            app = await create_app(settings, role="worker")
        except WorkerAlreadyRunning as error:
            raise manage.ManageError(str(error)) from None
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        processes.freeze_heap()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    with logs.off_the_loop():
        asyncio.run(work())
    return 0


def _init(args: argparse.Namespace) -> int:
    settings = manage.init_node(
        Path(args.dir), url=args.url, name=args.name, database_url=args.database_url
    )
    print(f"Created node {settings.trust_name} at {settings.url} in {args.dir}")
    return 0


def _serve_command(args: argparse.Namespace) -> int:
    return _serve(
        Path(args.dir), web_only=args.web_only, web_processes=args.processes, bind=args.bind
    )


def _work_command(args: argparse.Namespace) -> int:
    return _work(Path(args.dir))


def _backup(args: argparse.Namespace) -> int:
    from node import backup

    written = backup.backup(Path(args.dir), Path(args.file))
    print(f"Backed up {args.dir} to {written}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from node import backup

    restored = backup.restore(Path(args.file), Path(args.dir), args.database_url)
    print(f"Restored {restored.trust_name} into {restored.directory}; start it with sharon serve")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from node import demo

    demo.main(base_port=args.port)
    return 0


def _user_add(args: argparse.Namespace) -> int:
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
    return 0


def _peer_add(args: argparse.Namespace) -> int:
    peer = asyncio.run(manage.peer_add(Path(args.dir), args.peer_url))
    print(f"Agreed to federate with {peer.name} ({peer.url}); key {peer.key_fingerprint}")
    return 0


def _peer_list(args: argparse.Namespace) -> int:
    rows = asyncio.run(manage.peer_list(Path(args.dir)))
    if not rows:
        print("No peers yet. Add one with: sharon peer add DIR PEER_URL")
    for peer, queued in rows:
        success, failure = (
            moment.isoformat(timespec="seconds") if moment else "never"
            for moment in (peer.last_success_at, peer.last_failure_at)
        )
        when = peer.last_fetch_failure_at
        read_failure = (
            f"{when.isoformat(timespec='seconds')} ({peer.last_fetch_error})" if when else "never"
        )
        print(
            f"{peer.url}\t{peer.name}\tstate={peer.state}\tqueued={queued}"
            f"\tlast_success={success}\tlast_failure={failure}\tkey={peer.key_fingerprint}"
            f"\tread_failures={peer.fetch_failures}\tlast_read_failure={read_failure}"
        )
    return 0


def _peer_remove(args: argparse.Namespace) -> int:
    dropped = asyncio.run(manage.peer_remove(Path(args.dir), args.peer_url))
    print(f"No longer federating with {args.peer_url}; {dropped} references dropped")
    return 0


def _subnet_create(args: argparse.Namespace) -> int:
    uri = asyncio.run(manage.subnet_create(Path(args.dir), args.slug, args.name, kind=args.kind))
    print(f"Created subnet {uri}")
    return 0


def _subnet_share(args: argparse.Namespace) -> int:
    added = asyncio.run(manage.subnet_share(Path(args.dir), args.slug, args.peer_url))
    print(
        f"Invited {args.peer_url} to share {args.slug}; it is shared once they accept"
        if added
        else "Already invited or shared"
    )
    return 0


def _subnet_unshare(args: argparse.Namespace) -> int:
    dropped = asyncio.run(manage.subnet_unshare(Path(args.dir), args.slug, args.peer_url))
    print(f"Stopped sharing {args.slug} with {args.peer_url}; {dropped} references dropped")
    return 0


def _subnet_policy(args: argparse.Namespace) -> int:
    subnet = asyncio.run(manage.subnet_policy(Path(args.dir), args.slug, _policy(args)))
    texts = {
        name: value
        for name in ("service", "address", "what_to_expect", "expected_wait")
        if (value := getattr(args, name)) is not None
    }
    if args.first_step is not None or texts:
        steps = asyncio.run(
            manage.subnet_first_step(
                Path(args.dir), args.slug, args.first_step != "off", texts or None
            )
        )
        print(f"{args.slug}: first_step={'on' if steps else 'off'}")
    print(
        f"{subnet.slug}: posting={subnet.posting_policy} premoderation={subnet.premoderation}"
        f" join_approval={subnet.join_approval} retention_days={subnet.retention_days}"
        f" numbers={subnet.numbers}"
        f" audience={subnet.audience} hold_concern={subnet.hold_concern}"
        f" peer_messages={subnet.peer_messages} kind={subnet.kind}"
    )
    return 0


def _messages_times(args: argparse.Namespace) -> int:
    for row in asyncio.run(manage.message_times(Path(args.dir))):
        print(response_times.format_row(row))
    return 0


def _subnet_add(args: argparse.Namespace) -> int:
    uri = asyncio.run(manage.subnet_add(Path(args.dir), args.subnet, args.username))
    print(f"Added {args.username} to {uri}")
    return 0


def _share_list(args: argparse.Namespace) -> int:
    offers = asyncio.run(manage.share_list(Path(args.dir)))
    if not offers:
        print("No share invitations waiting.")
    for offer, peer in offers:
        print(f"{offer.subnet_uri}\t{offer.name}\tfrom {peer.name} ({peer.url})")
    return 0


def _share_answer(args: argparse.Namespace) -> int:
    accept = args.share_command == "accept"
    asyncio.run(manage.share_answer(Path(args.dir), args.subnet_uri, accept=accept))
    print(f"{'Accepted' if accept else 'Declined'} {args.subnet_uri}")
    return 0


def _retention_run(args: argparse.Namespace) -> int:
    count = asyncio.run(manage.retention_run(Path(args.dir)))
    print(f"Erased {count} posts older than their subnet's retention period")
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    outcomes = asyncio.run(manage.keys_rotate(Path(args.dir)))
    print("New keys written; the old ones are kept as retired-*.pem.")
    for name, status in outcomes:
        told = f"told (HTTP {status})" if status and status < 300 else f"NOT told ({status})"
        print(f"  {name}: {told}")
    print("Restart the node (sharon serve) so that it signs with the new keys.")
    return 0


def _screen_train(args: argparse.Namespace) -> int:
    from actors.screening.model import DEFAULT_PATH
    from node import screening

    out = Path(args.out) if args.out else DEFAULT_PATH
    if args.if_stale and screening.current(Path(args.data), out):
        print(f"Screening model {out} is up to date")
        return 0
    trained, held_out = screening.train(Path(args.data), out)
    print(f"Screening model written to {out}: {trained} posts, {held_out} held out")
    return 0


def _screen(args: argparse.Namespace) -> int:
    from node import screening

    screener = _screener(Path(args.model) if args.model else None)
    return screening.screen_lines(screener, sys.stdin, sys.stdout, sys.stderr)


def _invite_create(args: argparse.Namespace) -> int:
    link, code = asyncio.run(
        manage.invite_create(Path(args.dir), by=args.by, role=args.role, subnets_=args.subnet or [])
    )
    print(f"Invitation for a {args.role}, valid 7 days, once:\n  link: {link}\n  code: {code}")
    return 0


def _moderation_times(args: argparse.Namespace) -> int:
    for row in asyncio.run(manage.moderation_times(Path(args.dir))):
        print(response_times.format_row(row))
    return 0


def _audit_export(args: argparse.Namespace) -> int:
    sys.stdout.write(asyncio.run(manage.audit_export(Path(args.dir), args.start, args.end)))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    check = asyncio.run(manage.audit_verify(Path(args.dir)))
    if check.intact:
        print(f"The audit chain is whole: {check.entries} entries.")
        return 0
    named = f" (id {check.broken_id})" if check.broken_id else ""
    print(
        f"sharon: the audit chain is broken at entry {check.broken_seq}{named}: {check.problem};"
        f" {check.entries} entries before it are whole.",
        file=sys.stderr,
    )
    return 2


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _command(
    sub: Commands,
    name: str,
    run: Callable[[argparse.Namespace], int],
    summary: str,
    *,
    on_dir: bool = True,
) -> argparse.ArgumentParser:
    """A sub-command whose parsed arguments go to `run` (most act on a node's directory)."""
    command = sub.add_parser(name, help=summary)
    command.set_defaults(run=run)
    if on_dir:
        command.add_argument("dir")
    return command


def _group(sub: Commands, name: str, summary: str) -> Commands:
    """A sub-command that only groups others (`sharon peer add|list|remove`)."""
    return sub.add_parser(name, help=summary).add_subparsers(dest=f"{name}_command", required=True)


def _add_audit_commands(sub: Commands) -> None:
    audit = _group(sub, "audit", "the hash-chained audit log")
    _command(audit, "verify", _audit_verify, "check the chain; name the first broken entry")
    export = _command(audit, "export", _audit_export, "entries in a date range, as CSV on stdout")
    export.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    moderation = _group(sub, "moderation", "moderation figures")
    _command(
        moderation,
        "times",
        _moderation_times,
        "hours to a first moderator action, per subnet, in and out of hours",
    )
    messages = _group(sub, "messages", "private messages with care teams")
    _command(
        messages,
        "times",
        _messages_times,
        "hours to a clinician's first reply to a message, in and out of hours",
    )


def parser() -> argparse.ArgumentParser:
    """The whole command line; each leaf command sets `run`, the function that carries it out."""
    top = argparse.ArgumentParser(prog="sharon", description="Run and manage a SHaRON node.")
    sub = top.add_subparsers(dest="command", required=True)

    init = _command(sub, "init", _init, "create a new node in DIR")
    init.add_argument(
        "--url", required=True, help="public base URL, e.g. https://sharon.example.nhs.uk"
    )
    init.add_argument("--name", required=True, help="the trust's name")
    init.add_argument("--database-url", help="postgresql://… (default: SQLite in DIR)")

    serve = _command(
        sub, "serve", _serve_command, "run the node: web process(es) and the worker process"
    )
    serve.add_argument(
        "--web-only", action="store_true", help="no worker process (run `sharon work` apart)"
    )
    serve.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="web processes sharing the port (PostgreSQL only)",
    )
    serve.add_argument(
        "--bind",
        metavar="HOST:PORT",
        help="listen here instead of the URL's host and port (behind a load balancer)",
    )
    _command(sub, "work", _work_command, "run the node's worker process only (queues, jobs)")

    back = _command(sub, "backup", _backup, "write the node (database, keys, settings) to FILE")
    back.add_argument("file", help="a new .tar.gz file")
    restore = _command(
        sub, "restore", _restore, "a node from a backup FILE into a new DIR", on_dir=False
    )
    restore.add_argument("file")
    restore.add_argument("dir")
    restore.add_argument(
        "--database-url", help="for a PostgreSQL backup: an empty database to restore into"
    )

    demo = _command(sub, "demo", _demo, "three trusts on 127.0.0.1, until Ctrl-C", on_dir=False)
    demo.add_argument("--port", type=int, default=8701, help="first port (default 8701)")

    user = _group(sub, "user", "manage people")
    add = _command(user, "add", _user_add, "add a person (password from stdin or --password-file)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--password-file")
    add.add_argument("--pseudonym", help="name others see (default: the username)")
    add.add_argument(
        "--totp-secret", help="staff: a base32 TOTP secret (else they enrol at first sign-in)"
    )

    peer = _group(sub, "peer", "agreed peer nodes")
    _command(peer, "add", _peer_add, "agree to federate with a node").add_argument("peer_url")
    _command(peer, "list", _peer_list, "peers and their health")
    _command(
        peer, "remove", _peer_remove, "stop federating and drop all of a peer's data"
    ).add_argument("peer_url")

    share = _group(sub, "share", "invitations to share other trusts' subnets")
    _command(share, "list", _share_list, "pending invitations")
    for verb in ("accept", "decline"):
        _command(share, verb, _share_answer, f"{verb} an invitation").add_argument("subnet_uri")

    retention = _group(sub, "retention", "content retention")
    _command(retention, "run", _retention_run, "erase posts past their retention period")

    subnet = _group(sub, "subnet", "subnets")
    create = _command(subnet, "create", _subnet_create, "create a subnet hosted here")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    for verb, run, summary in (
        ("share", _subnet_share, "share a subnet with an agreed peer"),
        ("unshare", _subnet_unshare, "stop sharing a subnet with a peer"),
    ):
        partner = _command(subnet, verb, run, summary)
        partner.add_argument("slug")
        partner.add_argument("peer_url")
    policy = _command(
        subnet, "policy", _subnet_policy, "who may post, moderation, joins, retention"
    )
    create.add_argument("--kind", choices=list(SUBNET_KINDS), default="support", help=KIND_HELP)
    policy.add_argument("slug")
    policy.add_argument("--posting", choices=["all", "staff"])
    policy.add_argument("--premoderation", choices=["on", "off"])
    policy.add_argument("--join-approval", choices=["on", "off"])
    policy.add_argument("--retention-days", type=int, help="0 keeps posts for ever")
    policy.add_argument(
        "--numbers",
        choices=["shown", "masked", "hidden"],
        help="weights, BMI, calories, sizes, exercise amounts: masked (readers tap to see) "
        "or hidden for an eating-disorders subnet",
    )
    policy.add_argument(
        "--audience",
        choices=["adults", "under_18"],
        help="who the subnet is for; under_18 adds Childline and holds concern posts",
    )
    policy.add_argument(
        "--hold-concern",
        choices=["on", "off"],
        help="hold posts screening finds concerning until a clinician releases them",
    )
    policy.add_argument(
        "--first-step",
        choices=["on", "off"],
        help="a First Step subnet, for people waiting for their first appointment",
    )
    policy.add_argument("--service", help="What happens next: the service")
    policy.add_argument("--address", help="What happens next: its address")
    policy.add_argument("--what-to-expect", help="What happens next: what to expect")
    policy.add_argument("--expected-wait", help="What happens next: the expected wait")
    policy.add_argument(
        "--peer-messages",
        choices=["on", "off"],
        help="let this trust's patients and carers in the subnet message each other (home only)",
    )
    policy.add_argument("--kind", choices=list(SUBNET_KINDS), help=KIND_HELP)
    member = _command(
        subnet, "add", _subnet_add, "add a person here to a subnet (slug, or URI/handle elsewhere)"
    )
    member.add_argument("subnet")
    member.add_argument("username")

    keys = _group(sub, "keys", "the node's signing keys")
    _command(
        keys, "rotate", _keys_rotate, "new keys; peers are sent an Update signed with the old key"
    )
    invite = _group(sub, "invite", "invitations")
    invite_create = _command(
        invite, "create", _invite_create, "a one-time invitation (link and code)"
    )
    invite_create.add_argument("--by", required=True, help="the inviting staff member's username")
    invite_create.add_argument("--role", required=True, choices=[role.value for role in Role])
    invite_create.add_argument(
        "--subnet", action="append", help="slug of a subnet they join (repeat for several)"
    )
    _add_audit_commands(sub)
    screen = _command(
        sub,
        "screen",
        _screen,
        "screen JSON lines {id, text} from stdin; or `screen train`",
        on_dir=False,
    )
    screen.add_argument("--model", help="a model built by `sharon screen train --out`")
    screen_sub = screen.add_subparsers(dest="screen_command")
    screen_train = _command(
        screen_sub, "train", _screen_train, "build the model from the labelled data", on_dir=False
    )
    screen_train.add_argument("--data", default=str(screening_data.DATA_DIR))
    screen_train.add_argument(
        "--out", help="where to write the model (default: the one `sharon serve` loads)"
    )
    screen_train.add_argument(
        "--if-stale", action="store_true", help="only when the data or scikit-learn changed"
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except (manage.ManageError, ActorError) as error:
        print(f"sharon: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
