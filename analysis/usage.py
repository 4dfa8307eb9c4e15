"""The command line's own words in Chinese: the help layout and click's usage errors.

typer (on its vendored click) writes "Usage:", "[OPTIONS]", ``<int>``/``<list[Path]>`` type marks and
English errors ("Invalid value for '--year': …", "No such option: --stor", "No such command 'asses'.
Did you mean 'assess'?").  :func:`chinese_help` puts the help into Chinese once at import of the CLI:
panel titles, the usage line, type marks as Chinese words (or none for a flag), and help text that
wraps at any width instead of being cut with “…” (a run of CJK text has no spaces to break at, so it
is folded between characters).  :func:`usage_message` turns a usage error into one Chinese sentence
from the exception's class and parameters.

Only :mod:`analysis.cli` imports this module.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from analysis.vocab import PARAM_REPEATABLE, PARAM_TYPE_ZH

USAGE_PREFIX = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."


def click_modules() -> list[Any]:
    """Typer ≥ 0.24 vendors click as ``typer._click``; older versions use click itself."""
    mods = []
    for name in ("typer._click", "click"):
        try:
            mods.append(__import__(name, fromlist=["core", "exceptions", "formatting"]))
        except ImportError:
            continue
    return mods


def type_word(mark: str | None) -> str | None:
    """A help type mark (``<int>``, ``<list[Path]>``, ``<path>``) as the Chinese word shown in its place."""
    if not mark:
        return mark
    inner = mark.strip("<>").removesuffix("...")
    many = inner.startswith("list[")
    inner = inner.removeprefix("list[").removesuffix("]").lower()
    word = PARAM_TYPE_ZH.get(inner, inner)
    return f"{word}{PARAM_REPEATABLE}" if many else word


def _patch_once(owner: Any, name: str, make: Any) -> None:
    """Replace ``owner.name`` by ``make(original)`` unless this module already did."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, "_chinese", False):
        return
    patched = make(original)
    patched._chinese = True
    setattr(owner, name, patched)


def _help_option(original: Any) -> Any:
    def get_help_option(self, ctx):  # type: ignore[no-untyped-def]
        opt = original(self, ctx)
        if opt is not None:
            opt.help = "显示本帮助并退出。"
        return opt

    return get_help_option


def _write_usage(original: Any) -> Any:
    def write_usage(self, prog, args="", prefix=None):  # type: ignore[no-untyped-def]
        return original(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    return write_usage


def _display_type(original: Any) -> Any:
    def display_type_rich(self, ctx):  # type: ignore[no-untyped-def]
        if getattr(self, "metavar", None) is not None:  # an argument's name already is its metavar
            return None if self.param_type_name == "argument" else self.metavar
        if getattr(self, "is_flag", False):
            return None
        return type_word(original(self, ctx))

    return display_type_rich


def _folding(original: Any) -> Any:
    def make_rich_text(*args, **kwargs):  # type: ignore[no-untyped-def]
        from rich.text import Text

        text = original(*args, **kwargs)
        if isinstance(text, Text):
            text.overflow = "fold"
        return text

    return make_rich_text


def chinese_help() -> None:
    """Put the framework's own help words into Chinese (users read Chinese); safe to call twice."""
    import typer.core as tc
    import typer.rich_utils as ru

    ru.OPTIONS_PANEL_TITLE = "选项"
    ru.COMMANDS_PANEL_TITLE = "命令"
    ru.ARGUMENTS_PANEL_TITLE = "参数"
    ru.ERRORS_PANEL_TITLE = "错误"
    ru.REQUIRED_LONG_STRING = "[必填]"
    ru.DEFAULT_STRING = "[默认：{}]"
    ru.ABORTED_TEXT = "已中止。"
    _patch_once(ru, "_make_rich_text", _folding)
    for cls in (getattr(tc, "TyperOption", None), getattr(tc, "TyperArgument", None)):
        if cls is not None and hasattr(cls, "display_type_rich"):
            _patch_once(cls, "display_type_rich", _display_type)
    for mod in click_modules():
        _patch_once(mod.core.Command, "get_help_option", _help_option)
        _patch_once(mod.formatting.HelpFormatter, "write_usage", _write_usage)


# ---------------------------------------------------------------------------------------------
# Usage errors
# ---------------------------------------------------------------------------------------------
#: pydantic's error types (typer ≥ 0.26 converts values with pydantic) -> what the value should be
_EXPECTED = {
    "int_parsing": "整数",
    "int_from_float": "整数",
    "int_type": "整数",
    "float_parsing": "数字",
    "float_type": "数字",
    "bool_parsing": "是或否（true/false）",
    "date_parsing": "日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期（YYYY-MM-DD）",
}
_NO_SUCH_COMMAND = re.compile(r"^No such command '(?P<name>[^']*)'")
_EXTRA_ARGS = re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)")
_TAKES_NO_VALUE = re.compile(r"does not take a value")
_MISSING_COMMAND = re.compile(r"^Missing command")


def _option_name(param: Any) -> str:
    """How the user writes a parameter: its long option (``--year``), or an argument's Chinese name."""
    opts = [o for o in getattr(param, "opts", ()) if o.startswith("-")]
    if opts:
        return max(opts, key=len)
    return getattr(param, "metavar", None) or getattr(param, "name", None) or "参数"


def _described(param: Any) -> str:
    help_text = (getattr(param, "help", None) or "").strip()
    return f"{_option_name(param)}（{help_text}）" if help_text else _option_name(param)


def _suggest(word: str, choices: list[str]) -> str:
    """“（是不是 x？）” for the closest of ``choices`` to a mistyped ``word``, or nothing."""
    best = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"（是不是 {best[0]}？）" if best else ""


def _bad_value(exc: Any) -> str:
    param = exc.param
    name = _option_name(param) if param is not None else "参数"
    cause = exc.__cause__
    errors = cause.errors() if hasattr(cause, "errors") else []
    kind = errors[0].get("type") if errors else None
    expected = _EXPECTED.get(kind) if kind else None
    if expected is None and param is not None:
        mark = param.display_type(exc.ctx) if hasattr(param, "display_type") else None
        expected = type_word(mark) if mark else None
    got = f"（收到 {errors[0]['input']}）" if errors and "input" in errors[0] else ""
    return f"{name} 的值无效：{f'应为{expected}' if expected else '格式不对'}{got}"


def _option_usage(exc: Any) -> str:
    opt = exc.option_name
    params = getattr(exc.ctx.command, "params", []) if exc.ctx else []
    param = next((p for p in params if opt in getattr(p, "opts", ())), None)
    is_flag = getattr(param, "is_flag", False) if param is not None else _TAKES_NO_VALUE.search(exc.message)
    if is_flag:
        return f"选项 {opt} 是开关，后面不带值"
    return f"选项 {opt} 后面需要给出一个值"


def _generic(exc: Any) -> str:
    message = str(getattr(exc, "message", "") or "")
    ctx = exc.ctx
    commands = sorted(getattr(ctx.command, "commands", {}) or {}) if ctx else []
    if m := _NO_SUCH_COMMAND.match(message):
        hint = _suggest(m["name"], commands) or f"（可选：{'、'.join(commands)}）"
        return f"没有这个命令：{m['name']}{hint}"
    if m := _EXTRA_ARGS.match(message):
        return f"多余的参数：{m['args']}"
    if _MISSING_COMMAND.match(message):
        return f"缺少命令（可选：{'、'.join(commands)}）"
    return "命令行写法有误"


def usage_message(exc: Any) -> str:
    """One Chinese sentence for a click usage error (``UsageError`` and its subclasses), from the
    exception's class and its parameters — never click's English."""
    # by class name: the error may come from typer's vendored click or from click itself
    found = {c.__name__ for c in type(exc).__mro__}
    if "MissingParameter" in found:
        param = exc.param
        if param is None:
            return "缺少必填的参数"
        kind = "选项" if getattr(param, "param_type_name", "") == "option" else "参数"
        return f"缺少必填的{kind}：{_described(param)}"
    if "BadParameter" in found:
        return _bad_value(exc)
    if "NoSuchOption" in found:
        params = getattr(exc.ctx.command, "params", []) if exc.ctx else []
        options = [o for p in params for o in getattr(p, "opts", ()) if o.startswith("--")]
        return f"没有这个选项：{exc.option_name}{_suggest(exc.option_name, options)}"
    if "BadOptionUsage" in found:
        return _option_usage(exc)
    if "BadArgumentUsage" in found:
        return "参数个数不对"
    return _generic(exc)
