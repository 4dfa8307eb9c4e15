"""What a user is told when a command fails: their own mistakes (a bad option, a full disk, a read-only
folder, a store another ingest is writing) in one plain Chinese line and exit code 2; a real internal
error in one line, exit code 3, and the details in an error log for the maintainers
(:mod:`analysis.errorlog`).  No traceback reaches the user.
"""

from __future__ import annotations

import sys
import traceback

from rich.console import Console
from rich.markup import escape

from analysis.usage import click_modules, usage_message


class UserError(Exception):
    """An error the user can fix; printed as one Chinese line, exit code 2."""


def say(console: Console, markup: str, text: str) -> None:
    """Print ``markup`` + ``text`` (plain, any characters: a file name may hold undecodable bytes or
    brackets); printing itself never fails."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        console.print(markup + escape(safe))
    except Exception:  # a closed or odd stderr: the exit code still tells
        try:
            sys.stderr.write(safe + "\n")
        except Exception:
            pass


def _user_errors() -> tuple[type[Exception], ...]:
    """The error classes of the stages that describe a user's mistake in Chinese (exit 2)."""
    from analysis.assess import AssessError
    from analysis.compare import CompareError
    from analysis.ingest import IngestError, ProfileError
    from analysis.rules.loader import RulesetError
    from analysis.store import StoreError

    return (UserError, IngestError, StoreError, ProfileError, AssessError, RulesetError, CompareError)


def exit_code(exc: Exception, console: Console) -> int:
    """Tell the user what went wrong and return the exit code: 2 for what they can fix, 3 (and a log
    for the maintainers) for a real internal error."""
    from analysis.errorlog import write_error_log
    from analysis.store_guard import os_error_message

    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare command: its help, as click shows it
        print(exc.format_message())  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    usage_errors = tuple(m.exceptions.UsageError for m in click_modules())
    if isinstance(exc, usage_errors):
        cmd = exc.ctx.command_path if getattr(exc, "ctx", None) else "workbench"  # type: ignore[attr-defined]
        say(console, "[red]用法错误：[/red]", f"{usage_message(exc)}\n运行 {cmd} --help 查看用法。")
        return int(exc.exit_code)  # type: ignore[attr-defined]
    click_errors = tuple(m.exceptions.ClickException for m in click_modules())
    if isinstance(exc, click_errors):  # other click errors (a file option that cannot be opened …)
        say(console, "[red]错误：[/red]", exc.format_message())  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    if isinstance(exc, _user_errors()):
        say(console, "[red]错误：[/red]", str(exc))
        return 2
    if (why := os_error_message(exc)) is not None:  # a full disk, a read-only disk, no permission
        say(console, "[red]错误：[/red]", why)
        return 2
    try:
        details = traceback.format_exc()
    except Exception:
        details = repr(exc)
    log = write_error_log(details)
    where = f"详细信息已写入 {log}，请将该文件发给维护人员。" if log else "详细信息无法写入日志文件，请将以上内容发给维护人员。"
    say(console, "[red]内部错误：[/red]", f"{type(exc).__name__}: {exc}\n{where}")
    return 3
