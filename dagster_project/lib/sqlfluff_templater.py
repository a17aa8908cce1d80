"""sqlfluff's jinja templater with each macro file compiled once per process (a sqlfluff plugin).

For every file it lints, sqlfluff's jinja templater reads every file of ``load_macros_from_path``
(``dbt_project/macros``) twice — once for the macros' names, once to bind them to each other — and
compiles each macro file's Jinja source to Python anew each time: 48 of the 163 CPU-s that
``make lint``'s sqlfluff took here with its Rust parser (decision 129). The same source compiles to the
same code in environments with the same syntax, filters and tests, so this templater's environment keeps
each compiled code object by its source and those; rendering (with each file's own context) is unchanged.

``.sqlfluff`` selects it (``templater = partnerpulse_jinja``, settings under
``[sqlfluff:templater:partnerpulse_jinja]``); ``pyproject.toml`` registers it with sqlfluff (entry point
group ``sqlfluff``). sqlfluff is a development dependency: nothing in the pipeline imports this module.
"""

from __future__ import annotations

from collections import OrderedDict
from types import CodeType
from typing import Any, ClassVar

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from sqlfluff.core.config import FluffConfig
from sqlfluff.core.plugin import hookimpl
from sqlfluff.core.templaters import RawTemplater
from sqlfluff.core.templaters.jinja import JinjaTemplater


class CompileOnceEnvironment(SandboxedEnvironment):
    """A sandboxed environment whose ``compile`` returns the code it compiled before for the same source,
    template name and syntax (delimiters, extensions, filters and tests, ``finalize``, whitespace options).

    The most recently used ``MAX_COMPILED`` sources are kept: the macro files are used for every file, so
    they stay, while a long-lived process (an editor's sqlfluff) does not keep every version of every file."""

    MAX_COMPILED: ClassVar[int] = 512
    compiled: ClassVar[OrderedDict[tuple[Any, ...], CodeType]] = OrderedDict()

    def syntax(self) -> tuple[Any, ...]:
        """What, besides the source, the generated code depends on: Jinja's code generator reads the syntax
        settings, each filter's and test's function (how it is called, and constant folding calls it) and
        ``finalize``. Functions are in the key themselves, so a key never matches a different function."""
        return (
            self.block_start_string,
            self.block_end_string,
            self.variable_start_string,
            self.variable_end_string,
            self.comment_start_string,
            self.comment_end_string,
            self.line_statement_prefix,
            self.line_comment_prefix,
            self.trim_blocks,
            self.lstrip_blocks,
            self.newline_sequence,
            self.keep_trailing_newline,
            self.optimized,
            self.is_async,
            self.autoescape,
            self.finalize,
            tuple(sorted(self.extensions)),
            tuple(sorted(self.filters.items(), key=lambda item: item[0])),
            tuple(sorted(self.tests.items(), key=lambda item: item[0])),
        )

    def compile(  # type: ignore[override]
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> str | CodeType:
        if raw or not isinstance(source, str):  # Python source, or an already parsed template: as Jinja does
            return super().compile(source, name, filename, raw, defer_init)
        key = (source, name, filename, defer_init, self.syntax())
        code = self.compiled.get(key)
        if code is None:
            code = self.compiled[key] = super().compile(source, name, filename, raw, defer_init)
            if len(self.compiled) > self.MAX_COMPILED:
                self.compiled.popitem(last=False)
        else:
            self.compiled.move_to_end(key)
        return code


class PartnerPulseJinjaTemplater(JinjaTemplater):
    """sqlfluff's jinja templater (same settings, same rendering) on a :class:`CompileOnceEnvironment`."""

    name = "partnerpulse_jinja"

    def _get_jinja_env(self, config: FluffConfig | None = None) -> SandboxedEnvironment:
        env = super()._get_jinja_env(config)
        if type(env) is not SandboxedEnvironment:  # a sqlfluff that sets up another kind: left as it is
            return env
        env.__class__ = CompileOnceEnvironment  # adds no state: only compile() differs
        return env


@hookimpl
def get_templaters() -> list[type[RawTemplater]]:
    """sqlfluff's hook: the templaters this plugin adds."""
    return [PartnerPulseJinjaTemplater]
