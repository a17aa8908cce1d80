"""The SQL linter's templater (dagster_project/lib/sqlfluff_templater.py, decision 129): the repository's
settings select it through the plugin the venv's install registers, it renders every file exactly as
sqlfluff's own jinja templater does with the same settings, and it compiles each macro file once per
process where sqlfluff's compiles it twice for every file linted."""

from __future__ import annotations

from collections import Counter, OrderedDict
from pathlib import Path

import jinja2.environment
import pytest
from sqlfluff.core import FluffConfig
from sqlfluff.core.templaters.jinja import JinjaTemplater

from dagster_project.lib.sqlfluff_templater import CompileOnceEnvironment, PartnerPulseJinjaTemplater
from dagster_project.settings import DBT_PROJECT_DIR, MODELS_DIR, REPO_ROOT

# a mart, a scorecard model calling the band macros, a payout model, a macro file, a singular test
FILES = [
    MODELS_DIR / "marts" / "health" / "fct_account_health_weekly.sql",
    MODELS_DIR / "intermediate" / "expansion" / "int_account_weeks_readiness_scored.sql",
    MODELS_DIR / "intermediate" / "payouts" / "int_payout_events_collected.sql",
    DBT_PROJECT_DIR / "macros" / "bands.sql",
    *sorted((DBT_PROJECT_DIR / "tests").glob("*.sql"))[:1],
]


def _config() -> FluffConfig:
    return FluffConfig.from_path(str(REPO_ROOT))


def _macro_sources(config: FluffConfig) -> set[str]:
    """The macro files the templater loads for every file (load_macros_from_path less the excluded)."""
    section = ("templater", PartnerPulseJinjaTemplater.name)
    loaded = [Path(p) for p in config.get_section((*section, "load_macros_from_path")).split(",")]
    excluded = {Path(p).resolve() for p in config.get_section((*section, "exclude_macros_from_path")).split(",")}
    files = {f.resolve() for path in loaded for f in (path.rglob("*.sql") if path.is_dir() else [path])}
    return {f.read_text(encoding="utf-8") for f in files if not any(f.is_relative_to(e) for e in excluded)}


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often Jinja compiled each source, from an empty cache."""
    counts: Counter[str] = Counter()
    original = jinja2.environment.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        if isinstance(source, str):
            counts[source] += 1
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.environment.Environment, "compile", counting)
    monkeypatch.setattr(CompileOnceEnvironment, "compiled", OrderedDict())
    return counts


def test_the_repository_settings_select_the_plugin_templater():
    assert type(_config().get_templater()) is PartnerPulseJinjaTemplater


def test_it_renders_as_sqlfluff_jinja_and_compiles_each_macro_file_once(compiled: Counter[str]):
    config = _config()
    macros = _macro_sources(config)
    assert len(macros) >= 10  # the project's macro files, read through the settings
    ours = PartnerPulseJinjaTemplater()
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        rendered, errors = ours.process(in_str=text, fname=str(path), config=config)
        assert not errors, errors
        assert "{{" not in rendered.templated_str and "{%" not in rendered.templated_str
    assert {source: compiled[source] for source in macros} == dict.fromkeys(macros, 1)

    # sqlfluff's own templater, on the same settings section: the same SQL, each macro file compiled anew
    compiled.clear()
    theirs = JinjaTemplater()
    theirs.name = PartnerPulseJinjaTemplater.name
    linted = Counter(path.read_text(encoding="utf-8") for path in FILES)  # a macro file linted is compiled once more
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        expected, _ = theirs.process(in_str=text, fname=str(path), config=config)
        again, _ = ours.process(in_str=text, fname=str(path), config=config)
        assert again.templated_str == expected.templated_str, path.name
    assert {source: compiled[source] for source in macros} == {m: 2 * len(FILES) + linted[m] for m in macros}


def test_the_cache_keeps_the_most_recently_used_sources(compiled: Counter[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(CompileOnceEnvironment, "MAX_COMPILED", 2)
    env = CompileOnceEnvironment()
    for source in ("{{ 1 }}", "{{ 2 }}", "{{ 1 }}", "{{ 3 }}", "{{ 1 }}", "{{ 2 }}"):
        assert env.from_string(source).render() == source[3]
    # 2 was the least recently used when 3 came: compiled again at the end; 1 was kept throughout
    assert compiled == Counter({"{{ 1 }}": 1, "{{ 2 }}": 2, "{{ 3 }}": 1})
    assert len(CompileOnceEnvironment.compiled) == 2


def test_a_same_named_filter_of_another_environment_gets_its_own_code(compiled: Counter[str]):
    """Constant folding calls the filter at compile time: code compiled with one environment's ``sq`` must
    not serve another's (a process linting with several configurations)."""
    first, second = CompileOnceEnvironment(), CompileOnceEnvironment()
    first.filters["sq"] = lambda value: f"{value}_A"
    second.filters["sq"] = lambda value: f"{value}_B"
    source = "{{ 'x' | sq }}"
    assert first.from_string(source).render() == "x_A"
    assert second.from_string(source).render() == "x_B"
    assert first.from_string(source).render() == "x_A"
    assert compiled[source] == 2  # once per environment's filter, the third from the cache
