"""The `ducha` command line: run the local stack, serve a service, migrate, print SDL, mint tokens."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.core.settings import get_settings
from services.registry import DEFAULT_PORTS, SERVICE_NAMES, spec


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from services.core.app_factory import create_app
    from services.core.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json, service=args.service)
    app = create_app(spec(args.service), settings, instance_id=args.instance_id, role=args.role)
    port = args.port or settings.port or DEFAULT_PORTS[args.service]
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        ws="websockets-sansio",
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    from services.core.db import apply_migrations, migrations_for

    dsn = get_settings().require_database_url()
    for name in args.services or SERVICE_NAMES:
        spec(name)  # rejects unknown names
        applied = asyncio.run(apply_migrations(dsn, name, migrations_for(name)))
        print(
            f"{name}: {len(applied)} migration(s) applied"
            + (f": {', '.join(applied)}" if applied else "")
        )


def cmd_sdl(args: argparse.Namespace) -> None:
    sys.stdout.write(spec(args.service).schema().as_str().rstrip() + "\n")


def cmd_token(args: argparse.Namespace) -> None:
    from services.core.auth import Role, mint_token

    roles = [Role(r).value for r in args.role]
    print(
        mint_token(
            get_settings(),
            subject=args.subject,
            roles=roles,
            units=args.unit,
            name=args.name,
            ops=args.op,
            ttl_seconds=args.ttl,
        )
    )


def cmd_run(args: argparse.Namespace) -> None:
    from services.stack import run_stack

    run_stack(demo=args.demo)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    from services.tasks.audit.service import verify_database

    dsn = args.database_url or get_settings().require_database_url()
    result = asyncio.run(verify_database(dsn))
    print(result.describe())
    if not result.ok:
        raise SystemExit(1)


def cmd_demo(args: argparse.Namespace) -> None:
    from services.tasks.demo import loader as demo

    dsn = args.database_url or get_settings().require_database_url()
    asyncio.run(demo.migrate(dsn))
    if not args.force and not asyncio.run(demo.is_empty(dsn)):
        print("the tasks database already has data; not loading the demo (use --force)")
        raise SystemExit(1)
    asyncio.run(demo.load(dsn, seed=args.seed, scale=args.scale))


def cmd_ledger(args: argparse.Namespace) -> None:
    from pathlib import Path

    from services.tasks.ledger import cli as ledger_cli

    dsn = args.database_url or get_settings().require_database_url()
    path = Path(args.path)
    content = None if args.action == "export-items" else path.read_bytes()
    out = asyncio.run(ledger_cli.run(dsn, args.action, content, args.year))
    if out is not None:
        path.write_bytes(out)
        print(f"wrote {path}")


def cmd_alerts_rebuild(args: argparse.Namespace) -> None:
    from services.alerts.cli import rebuild_command

    print(asyncio.run(rebuild_command(get_settings())))


def cmd_evaluation_rebuild(args: argparse.Namespace) -> None:
    from services.evaluation.rebuild.service import rebuild_command

    settings = get_settings()
    report = asyncio.run(
        rebuild_command(settings.require_database_url(), settings.require_nats_url(), args.schema)
    )
    print(report.describe())
    if not report.equal:
        raise SystemExit(1)


async def dead_letters_command(
    service: str, action: str, letter_id: str | None, everything: bool
) -> str:
    from services.core import dead_letters
    from services.core.consumer import Consumer
    from services.core.db import create_pool

    settings = get_settings()
    service_spec = spec(service)
    pool = await create_pool(settings.require_database_url(), service, 1, 2)
    try:
        if action == "list":
            async with pool.acquire() as conn:
                rows = await dead_letters.list_dead_letters(conn, 500, everything)
            lines = [
                f"#{r.id} {r.created_at:%Y-%m-%d %H:%M:%S} {r.consumer} {r.subject}"
                f" seq={r.stream_seq} failures={r.deliveries}"
                + (f" {r.resolution}" if r.resolution else "")
                + f"\n    {r.error}"
                for r in rows
            ]
            return "\n".join(lines) or f"{service}: no dead letters"
        if action == "discard":
            result = await dead_letters.discard(pool, letter_id, everything, "cli")
        else:
            consumers = [
                Consumer(service, sub, pool, None, settings.consumer_max_deliver)
                for sub in service_spec.subscriptions()
            ]
            result = await dead_letters.replay(pool, consumers, letter_id, everything, "cli")
        return f"{service}: {result.describe()}"
    finally:
        await pool.close()


def cmd_dead_letters(args: argparse.Namespace) -> None:
    from services.core.errors import DomainError

    if args.action != "list" and (args.id is None) == (not args.all):
        raise SystemExit("give a dead letter id or --all")
    try:
        print(asyncio.run(dead_letters_command(args.service, args.action, args.id, args.all)))
    except DomainError as e:
        raise SystemExit(e.message) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ducha", description="Ducha 督查 supervision platform")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "run", help="run the whole local stack (embedded PostgreSQL and NATS by default)"
    )
    p.add_argument(
        "--demo",
        choices=["ask", "yes", "no"],
        default="ask",
        help="load the demo district into an empty embedded database",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="serve one service (what a container runs)")
    p.add_argument("service", choices=SERVICE_NAMES)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default=None)
    p.add_argument(
        "--instance-id", default=None, help="echoed by /readyz (ducha run checks it is its own)"
    )
    p.add_argument(
        "--role",
        choices=["all", "api", "worker"],
        default="all",
        help="api: /graphql only; worker: event consumers and jobs only; all: both (ADR 0021)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending migrations (DATABASE_URL)")
    p.add_argument("services", nargs="*", help="services to migrate (default: all)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("sdl", help="print a subgraph's SDL")
    p.add_argument("service", choices=SERVICE_NAMES)
    p.set_defaults(func=cmd_sdl)

    p = sub.add_parser("token", help="mint a development token (HS256, local secret)")
    p.add_argument(
        "--subject", default="00000000-0000-0000-0000-000000000001", help="person id (sub claim)"
    )
    p.add_argument("--name", default="督查办")
    p.add_argument(
        "--role",
        action="append",
        default=[],
        help="LEADER, SUPERVISION_OFFICE, UNIT_HEAD, UNIT_SUPERVISOR, CADRE, INTEGRATION",
    )
    p.add_argument("--unit", action="append", default=[], help="unit id in scope (repeatable)")
    p.add_argument("--op", action="append", default=[], help="operation granted (INTEGRATION)")
    p.add_argument("--ttl", type=int, default=12 * 3600)
    p.set_defaults(func=cmd_token)

    p = sub.add_parser(
        "audit-verify", help="check the audit trail's hash chain; exit 1 at the first broken entry"
    )
    p.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    p.set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("demo", help="load the demo district (90 units, ~700 cadres, ~2,200 items)")
    p.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    p.add_argument("--seed", type=int, default=2018)
    p.add_argument("--force", action="store_true", help="load even if the database has data")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the ~2,200 items")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("ledger", help="台账: import/export items, units and people as .xlsx")
    p.add_argument("action", choices=["import-items", "import-organisation", "export-items"])
    p.add_argument("path", help=".xlsx file to read (import) or write (export)")
    p.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    p.add_argument("--year", type=int, default=None, help="export: only items of this year")
    p.set_defaults(func=cmd_ledger)

    p = sub.add_parser(
        "evaluation-rebuild",
        help="replay TASKS and ALERTS into a fresh evaluation ledger; exit 1 if it differs",
    )
    p.add_argument("--schema", default="evaluation_rebuild", help="schema to rebuild into")
    p.set_defaults(func=cmd_evaluation_rebuild)

    p = sub.add_parser(
        "dead-letters",
        help="list, replay (re-apply once, after a fix) or discard a service's dead letters",
    )
    p.add_argument("action", choices=["list", "replay", "discard"])
    p.add_argument("service", choices=SERVICE_NAMES)
    p.add_argument("id", nargs="?", default=None, help="one dead letter's id")
    p.add_argument(
        "--all", action="store_true", help="every open dead letter (list: resolved ones too)"
    )
    p.set_defaults(func=cmd_dead_letters)

    p = sub.add_parser(
        "alerts-rebuild",
        help="rebuild the alerts item projection by replaying the TASKS stream, then re-colour",
    )
    p.set_defaults(func=cmd_alerts_rebuild)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command != "run":  # one clock for every command (rebuilds, demo, ledger)
        from services.core import clock

        clock.install(get_settings())
    if getattr(args, "command", None) == "token" and not args.role:
        args.role = ["SUPERVISION_OFFICE"]
    args.func(args)


if __name__ == "__main__":
    main()
