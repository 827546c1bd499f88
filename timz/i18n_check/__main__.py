"""``python -m timz.i18n_check [all|templates|catalogues|messages]`` (``make i18n-check``,
``make messages``): lists every unmarked template string and every catalogue problem as
``file:line: …`` and exits 1 if there is any; ``messages`` makes the catalogues instead."""

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m timz.i18n_check",
        description="List unmarked template strings and catalogue problems, as file:line.",
    )
    parser.add_argument(
        "what",
        nargs="?",
        choices=["all", "templates", "catalogues", "messages"],
        default="all",
        help="what to check (default: all); 'messages' extracts and compiles the catalogues",
    )
    what = parser.parse_args(argv).what
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timz.settings")
    import django

    django.setup()
    from timz.i18n_check.catalogues import catalogue_problems, extract_messages, make_messages
    from timz.i18n_check.templates import unmarked_strings

    if what == "messages":
        make_messages()
        return 0
    failed = False
    if what in ("all", "templates"):
        findings = unmarked_strings()
        sys.stdout.writelines(f"{finding}\n" for finding in findings)
        print(f"{len(findings)} unmarked template string(s)")
        failed |= bool(findings)
    if what in ("all", "catalogues"):
        problems = catalogue_problems(extracted=extract_messages())
        sys.stdout.writelines(f"{problem}\n" for problem in problems)
        print(f"{len(problems)} catalogue problem(s)")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
