"""`refiner-server`: run the server and manage projects and surveys from the shell."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .db import make_engine, migrate
from .projects import ProjectError, create_project, ensure_demo, import_surveys, list_projects

DEFAULT_DB = "sqlite:///refiner.db"
log = logging.getLogger("refiner_server")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="refiner-server", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def db_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", default=DEFAULT_DB, help=f"database URL (default {DEFAULT_DB})")

    serve = sub.add_parser("serve", help="run the HTTP server (uvicorn)")
    db_arg(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--static", default="dist/static", help="build output served at /static/")
    serve.add_argument("--index", default="index.html", help="page served at /")
    serve.add_argument("--demo", action="store_true", help="ensure project 'demo' and its survey")
    serve.add_argument("--access-log", action="store_true", help="log one line per request")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (default 1; production: cores)"
    )

    migrate = sub.add_parser("migrate", help="create the tables")
    db_arg(migrate)

    project = sub.add_parser("project", help="manage projects").add_subparsers(
        dest="action", required=True
    )
    create = project.add_parser("create", help="create a project")
    create.add_argument("id")
    create.add_argument("--name")
    create.add_argument("--identity-verification", action="store_true")
    create.add_argument("--secret", help="HMAC secret (generated when omitted)")
    create.add_argument("--ping-interval", type=int, default=300, help="seconds (default 300)")
    db_arg(create)
    listing = project.add_parser("list", help="list projects")
    db_arg(listing)

    survey = sub.add_parser("survey", help="manage surveys").add_subparsers(
        dest="action", required=True
    )
    imp = survey.add_parser("import", help="create or replace surveys from a JSON file")
    imp.add_argument("file", type=Path, help="one survey object or a list of them")
    imp.add_argument("--project", required=True)
    db_arg(imp)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 refused, 2 usage)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _COMMANDS[(args.command, getattr(args, "action", None))](args)
    except (ProjectError, OSError, json.JSONDecodeError) as exc:
        print(f"refiner-server: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from . import app as app_module
    from .app import ENV_DB, ENV_INDEX, ENV_STATIC, create_app

    static_dir, index = Path(args.static), Path(args.index)
    if not static_dir.is_dir():
        log.warning("static directory %s does not exist (yet): /static/ answers 404", static_dir)
    if not index.is_file():
        log.warning("index page %s does not exist (yet): / answers 404", index)
    options = {"host": args.host, "port": args.port, "access_log": args.access_log}
    if args.workers > 1:
        # each worker builds its own app (engine, caches) from the environment; the tables
        # and the demo are made once, here, before they start
        engine = make_engine(args.db)
        migrate(engine)
        if args.demo:
            ensure_demo(engine)
        engine.dispose()
        os.environ.update({ENV_DB: args.db, ENV_STATIC: str(static_dir), ENV_INDEX: str(index)})
        uvicorn.run(
            f"{app_module.__name__}:from_env", factory=True, workers=args.workers, **options
        )
        return 0
    app = create_app(args.db, static_dir, index)
    if args.demo:
        ensure_demo(app.state.engine)
    uvicorn.run(app, **options)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    migrate(make_engine(args.db))
    print(f"tables ready in {args.db}")
    return 0


def _project_create(args: argparse.Namespace) -> int:
    engine = make_engine(args.db)
    migrate(engine)
    row = create_project(
        engine,
        args.id,
        name=args.name,
        identity_verification=args.identity_verification,
        secret=args.secret,
        ping_interval_s=args.ping_interval,
    )
    print(f"created project {row['id']}")
    if row["identity_verification"] and not args.secret:
        print(f"secret: {row['secret']}")
    return 0


def _project_list(args: argparse.Namespace) -> int:
    engine = make_engine(args.db)
    migrate(engine)
    for p in list_projects(engine):
        verified = "verified" if p["identity_verification"] else "open"
        print(f"{p['id']}\t{p['name']}\t{verified}\tping={p['ping_interval_s']}s")
    return 0


def _survey_import(args: argparse.Namespace) -> int:
    data = json.loads(args.file.read_text("utf-8"))
    engine = make_engine(args.db)
    migrate(engine)
    ids = import_surveys(engine, args.project, data)
    print(f"imported {', '.join(ids)} into {args.project}")
    return 0


_COMMANDS = {
    ("serve", None): _serve,
    ("migrate", None): _migrate,
    ("project", "create"): _project_create,
    ("project", "list"): _project_list,
    ("survey", "import"): _survey_import,
}

if __name__ == "__main__":
    sys.exit(main())
