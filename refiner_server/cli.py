"""`refiner-server`: run the server and manage projects and surveys from the shell."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine, make_url

from refiner_server.client.rules import parse_date
from refiner_server.db import make_engine, migrate
from refiner_server.http.ratelimit import Limiter, Rate
from refiner_server.http.static import default_site
from refiner_server.progress import ProgressBar
from refiner_server.projects import (
    ProjectError,
    create_project,
    ensure_demo,
    get_project,
    import_surveys,
    list_projects,
    update_project,
)
from refiner_server.server_api.keys import create_key, list_keys, revoke_key
from refiner_server.surveys import templates
from refiner_server.surveys.exports import count_responses, responses_csv, responses_json
from refiner_server.surveys.schema import survey_schema
from refiner_server.surveys.store import create_from_template, get_survey, list_surveys
from refiner_server.team import users
from refiner_server.team.passwords import Passwords
from refiner_server.team.roles import ROLES
from refiner_server.tokens import create_token, list_tokens, revoke_token
from refiner_server.webhooks.settings import WebhookSettings

DEFAULT_DB = "sqlite:///refiner.db"
YAML_SUFFIXES = (".yaml", ".yml")
RECONTACT_HELP = "days no survey is shown after a person saw one (0: off, the default)"
#: generous: a visitor sends a few requests a minute; 50/s from one address is a corporate
#: NAT of thousands of visitors, or a loop
DEFAULT_RATE_PROJECT, DEFAULT_RATE_ADDRESS = "5000/50000", "50/500"
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
    serve.add_argument(
        "--static",
        type=Path,
        help="build output served at /static/ (default: the installed package's, else "
        "dist/static of a checkout)",
    )
    serve.add_argument(
        "--index", type=Path, help="page served at / (default: the demo page, like --static)"
    )
    serve.add_argument("--demo", action="store_true", help="ensure project 'demo' and its survey")
    serve.add_argument("--access-log", action="store_true", help="log one line per request")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (default 1; production: cores)"
    )
    serve.add_argument(
        "--rate-limit-project",
        type=Rate.parse,
        default=DEFAULT_RATE_PROJECT,
        metavar="RATE[/BURST]|off",
        help="client-API requests a second per project, this server in total "
        f"(default {DEFAULT_RATE_PROJECT})",
    )
    serve.add_argument(
        "--rate-limit-address",
        type=Rate.parse,
        default=DEFAULT_RATE_ADDRESS,
        metavar="RATE[/BURST]|off",
        help="client-API requests a second per client address, per worker; loopback is "
        f"exempt (default {DEFAULT_RATE_ADDRESS})",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="proxies whose X-Forwarded-For is believed (uvicorn's; default 127.0.0.1)",
    )

    private = dict(
        action="store_true",
        help="webhooks may go to http URLs and private addresses (self-hosted networks, tests)",
    )
    serve.add_argument("--webhooks-allow-private", **private)
    serve.add_argument(
        "--no-webhook-delivery",
        action="store_true",
        help="deliver no webhooks in these processes (`refiner-server webhooks deliver` does)",
    )

    hooks = sub.add_parser("webhooks", help="webhooks").add_subparsers(dest="action", required=True)
    deliver = hooks.add_parser("deliver", help="run a delivery worker alone, until interrupted")
    deliver.add_argument("--allow-private", **private)
    db_arg(deliver)

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
    create.add_argument("--recontact-days", type=int, default=0, help=RECONTACT_HELP)
    db_arg(create)
    listing = project.add_parser("list", help="list projects")
    db_arg(listing)
    change = project.add_parser("update", help="change a project's settings")
    change.add_argument("id")
    change.add_argument("--name")
    change.add_argument("--ping-interval", type=int, help="seconds")
    change.add_argument("--recontact-days", type=int, help=RECONTACT_HELP)
    db_arg(change)

    survey = sub.add_parser("survey", help="manage surveys").add_subparsers(
        dest="action", required=True
    )
    imp = survey.add_parser("import", help="create or replace surveys from a JSON or YAML file")
    imp.add_argument("file", type=Path, help="one survey object or a list of them")
    imp.add_argument("--project", required=True)
    db_arg(imp)
    survey.add_parser("schema", help="print the JSON Schema of a definition (docs/surveys.md)")
    new = survey.add_parser("new", help="create a draft survey from a template")
    new.add_argument("--template", required=True, choices=templates.ORDER)
    new.add_argument("--locale", default="en", help="its words' language (default en)")
    new.add_argument("--project", required=True)
    new.add_argument("--id", help="the survey's id (default: the template's, made unique)")
    new.add_argument("--name", help="default: the template's name in that language")
    db_arg(new)
    survey.add_parser("templates", help="list the templates and their languages")
    exp = survey.add_parser("export", help="print definitions (JSON; YAML for -o *.yaml)")
    exp.add_argument("id", nargs="?", help="one survey (default: all, as a list)")
    exp.add_argument("--project", required=True)
    exp.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")
    db_arg(exp)
    link = survey.add_parser("link", help="mint a one-time link for one person (docs/channels.md)")
    link.add_argument("id", help="the survey (its channels.link must not be off)")
    link.add_argument("--project", required=True)
    link.add_argument("--user", required=True, help="the person's user id")
    link.add_argument("--days", type=float, default=30, help="days until it expires (30)")
    link.add_argument("--base-url", default="", help="prefix of the printed link, e.g. https://x")
    db_arg(link)

    answers = sub.add_parser("responses", help="responses").add_subparsers(
        dest="action", required=True
    )
    out = answers.add_parser("export", help="stream responses as CSV or JSON")
    out.add_argument("--project", required=True)
    out.add_argument("--survey", help="one survey's responses")
    out.add_argument("--since", type=parse_date, help="created at or after (ISO 8601)")
    out.add_argument("--until", type=parse_date, help="created before (ISO 8601)")
    done = out.add_mutually_exclusive_group()
    done.add_argument("--completed", action="store_true", help="completed responses only")
    done.add_argument("--incomplete", action="store_true", help="incomplete responses only")
    out.add_argument("--format", choices=("csv", "json"), default="csv")
    out.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")
    db_arg(out)

    token = sub.add_parser("token", help="admin API tokens").add_subparsers(
        dest="action", required=True
    )
    make = token.add_parser("create", help="create a token (printed once)")
    make.add_argument("name", help="who or what uses it")
    make.add_argument("--project", help="scope it to one project (default: the whole server)")
    make.add_argument("--role", choices=ROLES, help="its role in --project")
    db_arg(make)
    revoke = token.add_parser("revoke", help="revoke a token for good")
    revoke.add_argument("id")
    db_arg(revoke)
    db_arg(token.add_parser("list", help="list tokens (never their secret)"))

    key = sub.add_parser(
        "key", help="server keys of a project (server API, Segment source)"
    ).add_subparsers(dest="action", required=True)
    make = key.add_parser("create", help="create a key (printed once)")
    make.add_argument("project")
    make.add_argument("name", help="who or what uses it")
    db_arg(make)
    revoke = key.add_parser("revoke", help="revoke a key for good")
    revoke.add_argument("id")
    db_arg(revoke)
    listing = key.add_parser("list", help="list keys (never their secret)")
    listing.add_argument("--project", help="one project's keys (default: all)")
    db_arg(listing)

    user = sub.add_parser("user", help="people who sign in to the dashboard").add_subparsers(
        dest="action", required=True
    )
    make = user.add_parser(
        "create",
        help="create an account; the password is asked for (or read from standard input)",
    )
    make.add_argument("email")
    for role in reversed(ROLES):
        make.add_argument(
            f"--{role}-of",
            action="append",
            default=[],
            metavar="PROJECT",
            help=f"make them {role} of PROJECT (repeatable)",
        )
    db_arg(make)
    again = user.add_parser("password", help="set a new password (asked for, or standard input)")
    again.add_argument("email")
    db_arg(again)
    db_arg(user.add_parser("list", help="list accounts and their roles"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 refused, 2 usage)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines on every start
    try:
        return _COMMANDS[(args.command, getattr(args, "action", None))](args)
    except (ValueError, LookupError, OSError) as exc:  # refusals of the operations, bad files
        print(f"refiner-server: {exc}", file=sys.stderr)
        return 1


#: seconds a worker of `serve --workers N` may take to answer uvicorn's health check
WORKER_HEALTHCHECK_S = 60


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from refiner_server import app as app_module
    from refiner_server.app import (
        ENV_DB,
        ENV_INDEX,
        ENV_RATE_ADDRESS,
        ENV_RATE_PROJECT,
        ENV_STATIC,
        create_app,
    )

    webhooks = WebhookSettings(args.webhooks_allow_private, not args.no_webhook_delivery)
    static_dir, index = default_site()
    static_dir, index = args.static or static_dir, args.index or index
    if not static_dir.is_dir():
        log.warning("static directory %s does not exist (yet): /static/ answers 404", static_dir)
    if not index.is_file():
        log.warning("index page %s does not exist (yet): / answers 404", index)
    if args.demo:
        print(demo_banner(args.host, args.port, args.db), flush=True)
    options = {"host": args.host, "port": args.port, "access_log": args.access_log}
    if args.forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = args.forwarded_allow_ips
    # the connections of many visitors spread over the workers: each takes its share of the
    # project's rate; one visitor's keep-alive connection stays with one worker, so the
    # address rate is each worker's (docs/security.md "The server")
    project_rate = args.rate_limit_project and args.rate_limit_project.split(args.workers)
    address_rate = args.rate_limit_address
    if args.workers > 1:
        # each worker builds its own app (engine, caches) from the environment; the tables
        # and the demo are made once, here, before they start
        engine = make_engine(args.db)
        migrate(engine)
        if args.demo:
            ensure_demo(engine)
        engine.dispose()
        os.environ.update({ENV_DB: args.db, ENV_STATIC: str(static_dir), ENV_INDEX: str(index)})
        os.environ[ENV_RATE_PROJECT] = str(project_rate or "off")
        os.environ[ENV_RATE_ADDRESS] = str(address_rate or "off")
        os.environ.update(webhooks.to_env())
        # uvicorn kills a worker that does not answer its health check within 5 s by
        # default: on a loaded machine a starting worker (imports, migrations check) takes
        # longer, and was killed and restarted without end
        uvicorn.run(
            f"{app_module.__name__}:from_env",
            factory=True,
            workers=args.workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            **options,
        )
        return 0
    limiter = Limiter(project_rate, address_rate) if project_rate or address_rate else None
    app = create_app(args.db, static_dir, index, limiter=limiter, webhooks=webhooks)
    if args.demo:
        ensure_demo(app.state.engine)
    uvicorn.run(app, **options)
    return 0


def demo_banner(host: str, port: int, db: str) -> str:
    """Where to go once `serve --demo` runs, and the dashboard-token command for this very
    database, copyable as printed: this script's own path (the shell that pastes it may not
    have our virtualenv) and the database URL made absolute (`--db` defaults elsewhere)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    origin = f"http://{'[%s]' % shown if ':' in shown else shown}:{port}"
    me = Path(sys.argv[0])
    program = str(me.resolve()) if me.name == "refiner-server" else "refiner-server"
    url = make_url(db)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    shown_db = url.render_as_string(hide_password=True)
    command = shlex.join([program, "token", "create", "me", "--db", shown_db])
    person = shlex.join(
        [program, "user", "create", "you@example.com", "--owner-of", "demo", "--db", shown_db]
    )
    return "\n".join(
        [
            f"refiner-web demo:  {origin}/  (?runtime=pyodide for Pyodide)",
            f"dashboard:         {origin}/admin  (sign in with a token: {command})",
            f"                   (or as a person, owner of the demo: {person})",
            f"API reference:     {origin}/docs",
        ]
    )


def _migrate(args: argparse.Namespace) -> int:
    with ProgressBar("migrate (revisions applied)", None) as bar:
        migrate(make_engine(args.db), progress=bar)
    print(f"tables ready in {args.db}")
    return 0


def _project_create(args: argparse.Namespace) -> int:
    engine = _engine(args)
    row = create_project(
        engine,
        args.id,
        name=args.name,
        identity_verification=args.identity_verification,
        secret=args.secret,
        ping_interval_s=args.ping_interval,
        recontact_days=args.recontact_days,
    )
    print(f"created project {row['id']}")
    if row["identity_verification"] and not args.secret:
        print(f"secret: {row['secret']}")
    return 0


def _project_list(args: argparse.Namespace) -> int:
    for p in list_projects(_engine(args)):
        verified = "verified" if p["identity_verification"] else "open"
        wait = f"{p['recontact_days']}d" if p["recontact_days"] else "off"
        print(f"{p['id']}\t{p['name']}\t{verified}\tping={p['ping_interval_s']}s\trecontact={wait}")
    return 0


def _project_update(args: argparse.Namespace) -> int:
    changes = {
        "name": args.name,
        "ping_interval_s": args.ping_interval,
        "recontact_days": args.recontact_days,
    }
    row = update_project(
        _engine(args), args.id, **{k: v for k, v in changes.items() if v is not None}
    )
    wait = f"{row['recontact_days']} days" if row["recontact_days"] else "off"
    print(f"updated project {row['id']}: recontact wait {wait}")
    return 0


def _engine(args: argparse.Namespace) -> Engine:
    engine = make_engine(args.db)
    migrate(engine)
    return engine


def _survey_import(args: argparse.Namespace) -> int:
    data = _load(args.file)
    engine = _engine(args)
    count = len(data) if isinstance(data, list) else 1
    try:
        with ProgressBar("import", count) as bar:
            ids = import_surveys(engine, args.project, data, progress=bar)
    except ProjectError as exc:
        raise ProjectError(f"{args.file}: {exc}") from None
    print(f"imported {', '.join(ids)} into {args.project}")
    return 0


def _survey_new(args: argparse.Namespace) -> int:
    made = create_from_template(
        _engine(args), args.project, args.template, args.locale, args.id, args.name
    )
    locale = templates.language(args.template, args.locale)
    print(f"created {made['id']} ({made['status']}, {locale}) in {args.project}")
    return 0


def _survey_templates(_args: argparse.Namespace) -> int:
    for entry in templates.catalogue():
        print(f"{entry['key']:<12}{entry['name']} ({', '.join(entry['languages'])})")
    return 0


def _survey_schema(_args: argparse.Namespace) -> int:
    print(json.dumps(survey_schema(), indent=2))
    return 0


def _survey_export(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.id:
        data: Any = get_survey(engine, args.project, args.id)["definition"]
    else:
        data = [s["definition"] for s in list_surveys(engine, args.project)]
    if args.output is not None and args.output.suffix.lower() in YAML_SUFFIXES:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, "utf-8")
    return 0


def _survey_link(args: argparse.Namespace) -> int:
    from refiner_server.channels.links import mint

    minted = mint(_engine(args), args.project, args.id, args.user, args.days)
    print(args.base_url.rstrip("/") + minted["path"])
    return 0


def _responses_export(args: argparse.Namespace) -> int:
    engine = _engine(args)
    get_project(engine, args.project)
    filters: dict[str, Any] = {
        "survey_id": args.survey,
        "since": args.since,
        "until": args.until,
        "completed": True if args.completed else False if args.incomplete else None,
    }
    make = responses_csv if args.format == "csv" else responses_json
    total = count_responses(engine, args.project, **filters)
    with contextlib.ExitStack() as stack:
        if args.output is None:
            sink = sys.stdout.buffer
        else:
            sink = stack.enter_context(args.output.open("wb"))
        bar = stack.enter_context(ProgressBar("export", total))
        for chunk in make(engine, args.project, progress=bar, **filters):
            sink.write(chunk)
        sink.flush()
    return 0


def _token_create(args: argparse.Namespace) -> int:
    if (args.project is None) != (args.role is None):
        raise ValueError("--project and --role go together")
    engine = _engine(args)
    scope = {}
    if args.project is not None:
        get_project(engine, args.project)
        scope = {"project_id": args.project, "role": args.role}
    token_id, raw = create_token(engine, args.name, **scope)
    where = f"{args.role} of {args.project}" if scope else "the whole server"
    print(f"created token {token_id} ({args.name}, {where}); it is shown only this once:")
    print(raw)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    if not revoke_token(_engine(args), args.id):
        raise LookupError(f"no live token {args.id!r}")
    print(f"revoked token {args.id}")
    return 0


def _token_list(args: argparse.Namespace) -> int:
    for t in list_tokens(_engine(args)):
        state = f"revoked {t['revoked_at']}" if t["revoked_at"] else "live"
        scope = f"{t['role']}@{t['project_id']}" if t["project_id"] else "server"
        used = t["last_used_at"] or "-"
        print(f"{t['id']}\t{t['name']}\t{scope}\t{t['created_at']}\tused {used}\t{state}")
    return 0


def _new_password(email: str) -> str:
    """Asked twice on a terminal; else the first line of standard input (scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    password = getpass.getpass(f"password for {email}: ")
    if getpass.getpass("the same again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def _user_create(args: argparse.Namespace) -> int:
    engine = _engine(args)
    email = users.normal_email(args.email)
    chosen = [(p, role) for role in ROLES for p in getattr(args, f"{role}_of")]
    for project_id, _role in chosen:
        get_project(engine, project_id)
    password = _new_password(email)
    with engine.begin() as conn:
        user_id = users.create_user(conn, Passwords(), email, password)
        for project_id, role in chosen:
            users.add_member(conn, project_id, user_id, role)
    roles = ", ".join(f"{role} of {p}" for p, role in chosen) or "no project yet"
    print(f"created {email} ({roles}): sign in at /admin")
    return 0


def _user_password(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with engine.connect() as conn:
        person = users.user_by_email(conn, args.email)
    if person is None:
        raise LookupError(f"no account {args.email!r}")
    password = _new_password(person["email"])
    with engine.begin() as conn:
        users.set_password(conn, Passwords(), person["id"], password)
    print(f"new password set for {person['email']}")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    for person in users.list_users(_engine(args)):
        roles = " ".join(f"{role}@{p}" for p, role in sorted(person["roles"].items())) or "-"
        print(f"{person['email']}\t{roles}\t{person['created_at']}")
    return 0


def _key_create(args: argparse.Namespace) -> int:
    key_id, raw = create_key(_engine(args), args.project, args.name)
    print(f"created key {key_id} of project {args.project} ({args.name}); shown only this once:")
    print(raw)
    return 0


def _key_revoke(args: argparse.Namespace) -> int:
    if not revoke_key(_engine(args), args.id):
        raise LookupError(f"no live key {args.id!r}")
    print(f"revoked key {args.id}")
    return 0


def _key_list(args: argparse.Namespace) -> int:
    for k in list_keys(_engine(args), args.project):
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "live"
        used = k["last_used_at"] or "-"
        fields = (k["prefix"], k["project_id"], k["name"], k["created_at"], f"used {used}", state)
        print("\t".join(fields))
    return 0


def _webhooks_deliver(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from refiner_server.client.store import ClientStore
    from refiner_server.webhooks.worker import Worker

    migrate(make_engine(args.db))
    store = ClientStore(make_engine(args.db, busy_timeout_s=0))  # see `Worker(call=...)`

    async def run() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        log.info("delivering webhooks from %s", args.db)
        await Worker(store.engine, args.allow_private, call=store.call).run(stop)

    asyncio.run(run())
    return 0


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: `2026-01-01` stays the string JSON would have."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(path: Path) -> Any:
    """A JSON or YAML file (by suffix); a syntax error names the file and the position."""
    try:
        if path.suffix.lower() in YAML_SUFFIXES:
            with path.open(encoding="utf-8") as stream:  # its name is in YAML's messages
                return yaml.load(stream, Loader=_Loader)  # a SafeLoader
        return json.loads(path.read_text("utf-8"))
    except (ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: {' '.join(str(exc).split())}") from None


_COMMANDS = {
    ("serve", None): _serve,
    ("migrate", None): _migrate,
    ("project", "create"): _project_create,
    ("project", "list"): _project_list,
    ("project", "update"): _project_update,
    ("survey", "import"): _survey_import,
    ("survey", "new"): _survey_new,
    ("survey", "templates"): _survey_templates,
    ("survey", "schema"): _survey_schema,
    ("survey", "export"): _survey_export,
    ("survey", "link"): _survey_link,
    ("responses", "export"): _responses_export,
    ("token", "create"): _token_create,
    ("token", "revoke"): _token_revoke,
    ("token", "list"): _token_list,
    ("key", "create"): _key_create,
    ("key", "revoke"): _key_revoke,
    ("key", "list"): _key_list,
    ("user", "create"): _user_create,
    ("user", "password"): _user_password,
    ("user", "list"): _user_list,
    ("webhooks", "deliver"): _webhooks_deliver,
}

if __name__ == "__main__":
    sys.exit(main())
