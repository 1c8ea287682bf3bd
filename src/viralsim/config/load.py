"""Read a run configuration from YAML, apply command-line overrides, validate it.

Everything a user can get wrong about a config file ends here as a :class:`ConfigError` whose
message is one line naming the file, the dotted path of the bad setting, the bad value and what
is allowed, so the command line can print it without a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from viralsim.config.edgelists import EdgeListProblem, check_edgelist
from viralsim.config.messages import FROM_CLI, describe_error, describe_validation, not_one_of, show_value
from viralsim.config.presets import PresetError, preset_data, preset_names, preset_path
from viralsim.config.schema import EdgeListNet, RunConfig, Strategy, too_many_sellers
from viralsim.config.yamlio import MAX_CHARS, YamlProblem, load_yaml
from viralsim.edgelist_format import edgelist_file

__all__ = ["ConfigError", "load_config", "dump_config", "RESOLVED_KEY", "read_config_file", "parse_override",
           "apply_override", "resolve_strategies", "check_resolved_record", "check_preset"]

#: top-level key of a dumped config holding each seller's resolved strategy (a record, not input)
RESOLVED_KEY = "resolved_strategies"

#: most segments of a --set path (a run config is about 4 levels deep)
_MAX_PATH_PARTS = 20


class ConfigError(ValueError):
    """A configuration the user must fix; the message is one line meant for the user.

    Parameters
    ----------
    message : str
        Description of the problem; whitespace (including newlines from YAML parser messages)
        is collapsed so that the message always fits on one line.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def load_config(
    path: str | Path,
    *,
    overrides: Sequence[str] = (),
    seed: int | None = None,
) -> RunConfig:
    """Load and validate a run configuration.

    Parameters
    ----------
    path : str or Path
        YAML file whose top level is a mapping of :class:`~viralsim.config.schema.RunConfig`
        fields. A config written by :func:`dump_config` (with its ``resolved_strategies``
        record) is accepted as long as the record still matches what the sellers resolve to.
    overrides : sequence of str
        ``dotted.path=value`` assignments applied on top of the file, in order. The value is
        parsed as YAML, so ``3``, ``0.5``, ``true``, ``[1, 2]`` and ``{a: 1}`` have their YAML
        types. Missing intermediate mappings are created (``sellers.new.strategy=spam`` adds a
        seller); an integer segment indexes into a list (``network.sizes.0=100``).
    seed : int, optional
        Replaces the ``seed`` of the file when given.

    Returns
    -------
    RunConfig
        The validated, frozen configuration.

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, is not valid YAML, has duplicate keys or a top
        level that is not a mapping; if an override is malformed; if validation fails (the
        message gives the first error, its dotted path, value and allowed values, and how many
        more there are); if a seller names an unknown or broken strategy preset; or if an
        ``edgelist`` network's file is missing, unreadable or not an edge list (the message
        names the line, never quoting the file).

    Examples
    --------
    >>> cfg = load_config("configs/example.yaml", overrides=["days=30"], seed=1)  # doctest: +SKIP
    """
    source = str(path)
    data = read_config_file(Path(path), source)
    cli_keys: list[str] = []
    for item in overrides:
        key, value = parse_override(item)
        apply_override(data, key, value, item)
        cli_keys.append(key)
    if seed is not None:
        data["seed"] = seed
        cli_keys.append("seed")
    record = data.pop(RESOLVED_KEY, None)

    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation(exc, source, RunConfig, (), cli_keys)) from None

    resolved = resolve_strategies(config, source, cli_keys)
    if record is not None:
        check_resolved_record(record, resolved, source)
    return config


def dump_config(config: RunConfig) -> str:
    """YAML text of a fully resolved configuration, for the results folder.

    Parameters
    ----------
    config : RunConfig
        The configuration that ran.

    Returns
    -------
    str
        Every field with its value (defaults included), followed by ``resolved_strategies``:
        for each seller, the complete strategy after its preset and overrides were merged, so
        that the results folder shows exactly what each seller did even if the preset files
        change later. :func:`load_config` reads the text back to an equal config.
    """
    data = config.model_dump(mode="json")
    data[RESOLVED_KEY] = {
        name: spec.resolved.model_dump(mode="json") for name, spec in config.sellers.items()
    }
    header = (
        "# Resolved viralsim configuration: every setting of the run, defaults included.\n"
        f"# '{RESOLVED_KEY}' records what each seller's preset and overrides resolved to.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def read_config_file(path: Path, source: str) -> dict:
    """The top-level mapping of a YAML config file; ConfigError naming ``source`` otherwise."""
    try:
        with path.open("rb") as fh:
            # Bounded read: a config is small, and a device or a huge file must not be slurped.
            raw = fh.read(4 * MAX_CHARS + 1)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a directory, expected a YAML config file") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read config file ({exc.strerror or exc})") from None
    if len(raw) > 4 * MAX_CHARS:
        raise ConfigError(f"{source}: is larger than {4 * MAX_CHARS:,} bytes; a config file is a few kB of YAML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = load_yaml(text)
    except YamlProblem as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if data is None:
        raise ConfigError(f"{source}: the file is empty; expected a mapping of settings such as 'days: 180'")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the top level must be a mapping of settings (key: value), "
            f"not a {_yaml_type(data)}"
        )
    return data


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# Overrides
# ---------------------------------------------------------------------------------------------


def parse_override(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` of a ``--set`` as ``(dotted key, YAML value)``; ConfigError if malformed."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    shown = show_value(item, 80)
    if not sep or not key:
        raise ConfigError(f"--set {shown}: expected KEY=VALUE, e.g. sellers.spam.posts_per_day=3")
    parts = key.split(".")
    if any(not part for part in parts):
        raise ConfigError(f"--set {shown}: {show_value(key)} is not a dotted path such as network.n")
    if len(parts) > _MAX_PATH_PARTS:
        raise ConfigError(f"--set {shown}: the path has {len(parts)} parts; settings are at most "
                          f"{_MAX_PATH_PARTS} levels deep")
    try:
        value = load_yaml(raw)
    except YamlProblem as exc:
        problem = str(exc).replace("invalid YAML", "").replace("YAML syntax error", "").lstrip(": ")
        raise ConfigError(f"--set {shown}: the value {show_value(raw)} is not valid YAML ({problem})") from None
    return key, value


def apply_override(data: dict, key: str, value: Any, item: str) -> None:
    """Set ``value`` at the dotted ``key`` of ``data`` (creating missing mappings, indexing lists);
    ConfigError quoting the ``--set`` ``item`` if the path runs into a plain value or past a list."""
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[:depth])
        if isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        elif isinstance(node, list):
            try:
                index = int(part)
                if not -len(node) <= index < len(node):
                    raise IndexError
            except (ValueError, IndexError):
                raise ConfigError(
                    f"--set {show_value(item, 80)}: {where} is a list of {len(node)} items; "
                    f"{show_value(part)} is not an index into it"
                ) from None
            if last:
                node[index] = value
            else:
                node = node[index]
        else:
            raise ConfigError(
                f"--set {show_value(item, 80)}: {where} is {show_value(node)}, not a mapping, so it has no field "
                f"{show_value(part)}"
            )


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


def resolve_strategies(config: RunConfig, source: str, cli_keys: Sequence[str]) -> dict[str, Strategy]:
    """Checks that need more than the schema, then each seller's strategy.

    An unknown preset is reported with its path and the allowed names; a broken preset file with
    the file's name. An ``edgelist`` network's file must exist, be readable and parse, and hold
    more people than there are sellers.
    """
    _check_network(config, source, cli_keys)
    names = preset_names()
    resolved = {}
    for seller, spec in config.sellers.items():
        path = f"sellers.{seller}.strategy"
        from_cli = FROM_CLI if any(path == k or path.startswith(k + ".") for k in cli_keys) else ""
        if spec.strategy not in names:
            raise ConfigError(f"{source}: {path}{not_one_of(spec.strategy, names)}{from_cli}")
        try:
            resolved[seller] = spec.resolved
        except PresetError as exc:
            raise ConfigError(f"{source}: {path} = {spec.strategy!r} cannot be used: {exc}{from_cli}") from None
        except ValidationError as exc:
            # The spec's own fields passed validation, so the preset file itself is at fault.
            detail, _ = describe_error(exc.errors(include_url=False)[0], Strategy, ())
            raise ConfigError(
                f"{source}: sellers.{seller}: strategy preset {spec.strategy!r} is invalid "
                f"({preset_path(spec.strategy)}): {detail}"
            ) from None
    return resolved


def check_preset(name: str) -> None:
    """Raise :class:`~viralsim.config.presets.PresetError` naming the file and the first problem
    unless preset ``name`` reads, parses and validates."""
    data = preset_data(name)
    try:
        Strategy.model_validate(data)
    except ValidationError as exc:
        detail, _ = describe_error(exc.errors(include_url=False)[0], Strategy, ())
        raise PresetError(f"strategy preset file {preset_path(name)}: {detail}") from None


def _check_network(config: RunConfig, source: str, cli_keys: Sequence[str]) -> None:
    """The edge-list file of an ``edgelist`` network reads, and has room for the sellers."""
    spec = config.network
    if not isinstance(spec, EdgeListNet):
        return
    field = "network.path"
    from_cli = FROM_CLI if any(field == k or field.startswith(k + ".") for k in cli_keys) else ""
    try:
        path = edgelist_file(spec.path)
    except FileNotFoundError as exc:        # the bundled network is missing from the install
        raise ConfigError(f"{source}: {field} = {spec.path!r} cannot be used: {exc}{from_cli}") from None
    try:
        info = check_edgelist(path)
    except EdgeListProblem as exc:
        raise ConfigError(
            f"{source}: {field} = {spec.path!r} is not allowed: the file {exc} "
            f"(expected a SNAP edge list: two whole-number node ids per line){from_cli}"
        ) from None
    total = len(config.sellers) + sum(p.size(info.n) for p in config.populations.values())
    if total > info.n:
        too_many = too_many_sellers(total, info.n, f"the edge list {spec.path!r}")
        raise ConfigError(f"{source}: sellers: {too_many}")


def check_resolved_record(record: Any, resolved: Mapping[str, Strategy], source: str) -> None:
    """Refuse a dumped config whose strategy record no longer matches what would run.

    The record is output, not input: silently ignoring an edited record, or one written with
    presets that have since changed, would run something different from what the file shows.
    """
    hint = f"it records what ran; delete the '{RESOLVED_KEY}' section to run with the current presets"
    if not isinstance(record, dict) or set(record) != set(resolved):
        raise ConfigError(f"{source}: {RESOLVED_KEY} does not list the same sellers as 'sellers'; {hint}")
    for seller, strategy in resolved.items():
        current = strategy.model_dump(mode="json")
        written = record[seller]
        if not isinstance(written, dict):
            raise ConfigError(f"{source}: {RESOLVED_KEY}.{seller} = {show_value(written)} is not a mapping; {hint}")
        for field in sorted(set(current) | set(written)):
            if written.get(field) != current.get(field):
                raise ConfigError(
                    f"{source}: {RESOLVED_KEY}.{seller}.{field} = {show_value(written.get(field))} "
                    f"but the config resolves to {show_value(current.get(field))}; {hint}"
                )
