"""The `kefu` command: serve, check, schema, import, export, eval, users, keys."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.config import Settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Workers are separate processes: they read settings from the environment again.
    os.environ.setdefault("KEFU_DATA_DIR", str(settings.data_dir))
    print(f"kefu: serving on http://{args.host}:{args.port}/ (API docs at /docs)", flush=True)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from app.checking import check_library, coverage_text
    from app.errors import LibraryError

    path = Path(args.path) if args.path else Settings().replies_dir
    try:
        report = check_library(path, min_examples=args.min_examples)
    except LibraryError as exc:
        print(f"kefu check: {exc.message}", file=sys.stderr)
        for detail in exc.details[1:20]:
            print(f"  {detail}", file=sys.stderr)
        return 1
    print(coverage_text(report))
    if report.problems:
        print(f"\n{len(report.problems)} problem(s):", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.stamp and path.is_dir():
        from app.checking import STAMP_FILE, write_stamp

        write_stamp(path, report.library)
        print(f"wrote {path / STAMP_FILE}")
    print("ok")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from app.library import json_schemas

    folder = Path(args.out)
    stale = []
    for name, schema in json_schemas().items():
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        target = folder / name
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale JSON Schema: {', '.join(stale)}; run `kefu schema`", file=sys.stderr)
        return 1
    return 0


def _eval(args: argparse.Namespace) -> int:
    from app.errors import LibraryError
    from app.evaluation import evaluate
    from app.library import load_library
    from app.suggest import build_snapshot

    settings = Settings()
    try:
        snapshot = build_snapshot(
            load_library(Path(args.replies) if args.replies else settings.replies_dir)
        )
        evaluate(
            snapshot,
            Path(args.file),
            args.min_confidence if args.min_confidence is not None else settings.min_confidence,
            args.json,
            sys.stdout,
        )
    except (LibraryError, OSError, ValueError) as exc:
        print(f"kefu eval: {exc}", file=sys.stderr)
        return 1
    return 0


def _store() -> Any:
    from app.config import database_url
    from app.store.repository import LibraryStore

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = LibraryStore(database_url(settings))
    store.migrate()
    return store


def _import(args: argparse.Namespace) -> int:
    from app.compiled import validate_replies
    from app.errors import LibraryError
    from app.library import load_library

    path = Path(args.path)
    try:
        library = load_library(path.parent, only=path) if path.is_file() else load_library(path)
        validate_replies(library)
    except LibraryError as exc:
        print(f"kefu import: nothing imported: {exc.message}", file=sys.stderr)
        return 1
    from app.store.access import AccessStore

    store = _store()
    changed = store.import_library(library, author=args.author, message=args.message)
    AccessStore(store).audit(
        _actor(),
        "library.import",
        str(path)[-255:],
        {"author": args.author, "templates": len(library.templates()), "changed": changed},
        "local",
    )
    print(f"imported {len(library.templates())} templates ({changed} new versions)")
    return 0


def _actor() -> str:
    """Who ran a CLI command, for the audit log: the operating-system user."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _access() -> Any:
    from app.auth.access import Access

    return Access(_store(), Settings())


def _read_password(args: argparse.Namespace) -> str | None:
    """From stdin (--password-stdin), else asked for on a terminal; None: generate one."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        first = getpass.getpass("password (empty: generate one): ")
        if first and getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first or None
    return None


def _users(args: argparse.Namespace) -> int:
    from app.errors import KefuError

    access = _access()
    try:
        if args.action == "list":
            for u in access.db.users():
                state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
                print(f"{u.name}\t{u.role}\t{state}\t{u.created_at:%Y-%m-%d %H:%M}")
        elif args.action == "create":
            user, generated = access.create_user(
                _actor(), args.name, args.role, _read_password(args), "local"
            )
            print(f"created {user.role} {user.name}")
            if generated:
                print(f"password: {generated}")
        elif args.action == "password":
            password = _read_password(args)
            generated = None
            if password is None:
                from app.auth.passwords import generate_password

                password = generated = generate_password()
            access.change_user(_actor(), args.name, "local", password=password, unlock=True)
            print(f"{args.name}: new password set; it must be changed at the next sign-in")
            if generated:
                print(f"password: {generated}")
        elif args.action == "set":
            disabled = {"yes": True, "no": False, None: None}[args.disabled]
            user = access.change_user(
                _actor(),
                args.name,
                "local",
                role=args.role,
                disabled=disabled,
                unlock=args.unlock,
            )
            print(f"{user.name}\t{user.role}\t{'disabled' if user.disabled else 'active'}")
    except (KefuError, ValueError) as exc:
        print(f"kefu users: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    return 0


def _keys(args: argparse.Namespace) -> int:
    from app.errors import KefuError

    access = _access()
    try:
        if args.action == "list":
            for k in access.db.keys():
                used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
                state = "revoked" if k.revoked_at else "active"
                print(
                    f"{k.id}\t{k.prefix}…\t{k.name}\t{','.join(k.scopes)}\t"
                    f"{','.join(k.allowed_origins) or '-'}\tused {used}\t{state}"
                )
        elif args.action == "create":
            origins = [o for o in (args.origins or "").split(",") if o.strip()]
            stored, key = access.create_key(_actor(), args.name, args.scopes, origins, "local")
            print(
                f"key #{stored.id} {stored.name!r}: scopes {','.join(stored.scopes)}; "
                f"origins {','.join(stored.allowed_origins) or 'none (servers only)'}"
            )
            print("store it now: it is shown this once. The key:")
            print(key)
        elif args.action == "revoke":
            revoked = access.revoke_key(_actor(), args.id, "local")
            print(f"revoked key #{revoked.id} {revoked.name!r}")
    except KefuError as exc:
        print(f"kefu keys: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.library import library_files

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = library_files(_store().load_library())
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    print(f"exported {len(files)} files to {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)

    check = sub.add_parser("check", help="validate the reply library and print its coverage")
    check.add_argument("path", nargs="?", help="library folder or one category file")
    check.add_argument("--min-examples", type=int, default=8, help="trigger examples wanted")
    check.add_argument(
        "--stamp", action="store_true", help="record that this exact content passed (folder)"
    )
    check.set_defaults(func=_check)

    evaluation = sub.add_parser("eval", help="measure match quality on labelled messages")
    evaluation.add_argument("file", help="JSON lines: text, lang, category[, source]")
    evaluation.add_argument("--json", action="store_true", help="one JSON object on stdout")
    evaluation.add_argument("--replies", help="library folder (default: the configured one)")
    evaluation.add_argument("--min-confidence", type=float, default=None)
    evaluation.set_defaults(func=_eval)

    importer = sub.add_parser("import", help="import a library folder or category file")
    importer.add_argument("path")
    importer.add_argument("--author", default="cli")
    importer.add_argument("--message", default="kefu import")
    importer.set_defaults(func=_import)

    exporter = sub.add_parser("export", help="write the store's library as YAML files")
    exporter.add_argument("folder")
    exporter.set_defaults(func=_export)

    users = sub.add_parser("users", help="accounts: list, create, password, set")
    users_sub = users.add_subparsers(dest="action", required=True)
    users_sub.add_parser("list", help="every account with its role and state")
    create_user = users_sub.add_parser("create", help="a new account")
    create_user.add_argument("name")
    create_user.add_argument("--role", required=True, choices=["agent", "manager", "admin"])
    password = users_sub.add_parser("password", help="set a new password (changed at sign-in)")
    password.add_argument("name")
    for command in (create_user, password):
        command.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
    set_user = users_sub.add_parser("set", help="change role, disable or enable, unlock")
    set_user.add_argument("name")
    set_user.add_argument("--role", choices=["agent", "manager", "admin"])
    set_user.add_argument("--disabled", choices=["yes", "no"])
    set_user.add_argument("--unlock", action="store_true")
    users.set_defaults(func=_users)

    keys = sub.add_parser("keys", help="API keys: list, create, revoke")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    keys_sub.add_parser("list", help="every key: prefix, scopes, origins, last use")
    create_key = keys_sub.add_parser("create", help="a new key, printed on the last line")
    create_key.add_argument("--name", required=True)
    create_key.add_argument(
        "--scopes",
        required=True,
        help="comma-separated: suggest, feedback, library:read, library:write, insights, admin",
    )
    create_key.add_argument("--origins", help="comma-separated browser origins (CORS)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int)
    keys.set_defaults(func=_keys)

    schema = sub.add_parser("schema", help="write the library's JSON Schemas")
    schema.add_argument("--out", default=str(Path(__file__).parent.parent / "replies" / "schema"))
    schema.add_argument("--check", action="store_true", help="fail if they are stale")
    schema.set_defaults(func=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
