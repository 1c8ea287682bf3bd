"""Read a run configuration from YAML, apply command-line overrides, validate it.

Everything a user can get wrong about a config file ends here as a :class:`ConfigError` whose
message is one line naming the file, the dotted path of the bad setting, the bad value and what
is allowed, so the command line can print it without a traceback.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from viralsim.config.edgelists import EdgeListProblem, check_edgelist
from viralsim.config.presets import PresetError, preset_names, preset_path
from viralsim.config.schema import EdgeListNet, RunConfig, Strategy, too_many_sellers
from viralsim.config.yamlio import MAX_CHARS, YamlProblem, load_yaml
from viralsim.edgelist_format import edgelist_file

__all__ = ["ConfigError", "load_config", "dump_config", "RESOLVED_KEY"]

#: top-level key of a dumped config holding each seller's resolved strategy (a record, not input)
RESOLVED_KEY = "resolved_strategies"

#: marker appended to messages about settings that came from --set/--seed/--days, not the file
_FROM_CLI = " (from the command line)"

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
    data = _read_yaml(Path(path), source)
    cli_keys: list[str] = []
    for item in overrides:
        key, value = _parse_override(item)
        _assign(data, key, value, item)
        cli_keys.append(key)
    if seed is not None:
        data["seed"] = seed
        cli_keys.append("seed")
    record = data.pop(RESOLVED_KEY, None)

    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, RunConfig, (), cli_keys)) from None

    resolved = _resolve_all(config, source, cli_keys)
    if record is not None:
        _check_record(record, resolved, source)
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


def _read_yaml(path: Path, source: str) -> dict:
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


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    key = key.strip()
    shown = _show(item, 80)
    if not sep or not key:
        raise ConfigError(f"--set {shown}: expected KEY=VALUE, e.g. sellers.spam.posts_per_day=3")
    parts = key.split(".")
    if any(not part for part in parts):
        raise ConfigError(f"--set {shown}: {_show(key)} is not a dotted path such as network.n")
    if len(parts) > _MAX_PATH_PARTS:
        raise ConfigError(f"--set {shown}: the path has {len(parts)} parts; settings are at most "
                          f"{_MAX_PATH_PARTS} levels deep")
    try:
        value = load_yaml(raw)
    except YamlProblem as exc:
        problem = str(exc).replace("invalid YAML", "").replace("YAML syntax error", "").lstrip(": ")
        raise ConfigError(f"--set {shown}: the value {_show(raw)} is not valid YAML ({problem})") from None
    return key, value


def _assign(data: dict, key: str, value: Any, item: str) -> None:
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
                    f"--set {_show(item, 80)}: {where} is a list of {len(node)} items; "
                    f"{_show(part)} is not an index into it"
                ) from None
            if last:
                node[index] = value
            else:
                node = node[index]
        else:
            raise ConfigError(
                f"--set {_show(item, 80)}: {where} is {_show(node)}, not a mapping, so it has no field {_show(part)}"
            )


# ---------------------------------------------------------------------------------------------
# Validation messages
# ---------------------------------------------------------------------------------------------


def _describe(
    exc: ValidationError,
    source: str,
    root: type[BaseModel],
    prefix: tuple,
    cli_keys: Sequence[str],
) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    message, path = _describe_one(first, root, prefix)
    if any(path == k or path.startswith(k + ".") or k.startswith(path + ".") for k in cli_keys):
        message += _FROM_CLI
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return f"{source}: {message}"


def _describe_one(error: Mapping[str, Any], root: type[BaseModel], prefix: tuple) -> tuple[str, str]:
    """One pydantic error as ``(message, dotted path)``."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    walk = _walk(root, tuple(error["loc"]))
    shown = list(prefix) + walk.path
    value = error.get("input")
    pyd = _lower_first(error["msg"])

    if kind == "extra_forbidden":
        path = _dotted(shown)
        valid = sorted(walk.owner.model_fields) if walk.owner is not None else []
        close = difflib.get_close_matches(str(shown[-1]), valid, n=1)
        if close:
            return f"unknown field '{path}'; did you mean '{close[0]}'?", path
        scope = f" for kind {walk.tag!r}" if walk.tag else ""
        return f"unknown field '{path}'; valid fields{scope}: {', '.join(valid)}", path

    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = ctx.get("discriminator", "'kind'").strip("'")
        path = _dotted(shown + [field])
        tags = _union_tags(walk.annotation, field)
        allowed = "must be one of " + ", ".join(repr(t) for t in tags)
        if kind == "union_tag_not_found":
            return f"{path} is missing: {allowed}", path
        tag = ctx.get("tag")
        return f"{path} = {_show(tag)} is not allowed: {allowed}{_did_you_mean(tag, tags)}", path

    path = _dotted(shown)
    if kind == "missing":
        return f"{path} is missing ({pyd})", path
    if kind == "value_error":
        reason = str(ctx["error"]) if "error" in ctx else pyd
        return f"{path} = {_show(value)} is not allowed: {reason}", path
    if kind == "literal_error":
        choices = _literal_choices(walk.annotation)
        allowed = "must be one of " + ", ".join(repr(c) for c in choices) if choices else pyd
        return f"{path} = {_show(value)} is not allowed: {allowed}{_did_you_mean(value, choices)}", path
    allowed = _allowed(kind, ctx)
    if kind == "int_type" and isinstance(value, float) and math.isfinite(value):
        # 3.0 shown as "3" would contradict "must be a whole number"
        hint = f" (write {int(value)})" if value.is_integer() else ""
        return f"{path} = {value!r} is not allowed: {allowed}{hint}", path
    if allowed is None:
        return f"{path} = {_show(value)} is not allowed: {pyd}", path
    return f"{path} = {_show(value)} is not allowed: {allowed} ({pyd})", path


def _allowed(kind: str, ctx: Mapping[str, Any]) -> str | None:
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {_show(ctx[key])}"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "must be a whole number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("string_type", "string_sub_type"):
        return "must be text"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "must be a mapping (key: value)"
    if kind in ("list_type", "tuple_type", "iterable_type"):
        return "must be a list"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"must have at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"must have at most {n} item{'s' if n != 1 else ''}"
    return None


class _Walk(typing.NamedTuple):
    path: list  # loc with discriminated-union tags removed, as the user writes it in YAML
    owner: type[BaseModel] | None  # model whose field the last segment is (None: free-form key)
    annotation: Any  # type at the end of the path (None when the path leaves the schema)
    tag: str | None  # discriminator tag used on the way, if any


def _walk(root: type[BaseModel], loc: tuple) -> _Walk:
    """Follow a pydantic error location through the schema.

    Pydantic puts the tag of a discriminated union into the location
    (``network.watts_strogatz.k``) although the user never wrote it; walking the type
    annotations tells tag segments from field names and finds the model that owns the last
    segment, whose field names are the candidates for a did-you-mean suggestion.
    """
    ann: Any = root
    path: list = []
    owner: type[BaseModel] | None = None
    tag = None
    for seg in loc:
        ann = _unwrap(ann)
        members = _model_members(ann)
        if len(members) > 1 and isinstance(seg, str):
            match = next((m for m in members if seg in _literal_choices(_kind_annotation(m))), None)
            if match is not None:
                ann, tag = match, seg
                continue
        path.append(seg)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            owner = ann
            field = ann.model_fields.get(seg) if isinstance(seg, str) else None
            ann = field.annotation if field is not None else None
        elif typing.get_origin(ann) in (dict, Mapping):
            owner = None
            ann = typing.get_args(ann)[1]
        elif typing.get_origin(ann) in (list, tuple, Sequence):
            owner = None
            ann = typing.get_args(ann)[0]
        else:
            owner, ann = None, None
    return _Walk(path, owner, _unwrap(ann) if ann is not None else None, tag)


def _unwrap(ann: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` so the core type is visible."""
    while True:
        if typing.get_origin(ann) is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        if _is_union(ann):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) == 1:
                ann = args[0]
                continue
        return ann


def _is_union(ann: Any) -> bool:
    return typing.get_origin(ann) in (typing.Union, types.UnionType)


def _model_members(ann: Any) -> list[type[BaseModel]]:
    if not _is_union(ann):
        return []
    out = []
    for arg in typing.get_args(ann):
        arg = _unwrap(arg)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            out.append(arg)
    return out


def _kind_annotation(model: type[BaseModel], field: str = "kind") -> Any:
    info = model.model_fields.get(field)
    return info.annotation if info is not None else None


def _literal_choices(ann: Any) -> list:
    ann = _unwrap(ann)
    if typing.get_origin(ann) is typing.Literal:
        return list(typing.get_args(ann))
    return []


def _union_tags(ann: Any, field: str) -> list:
    tags: list = []
    for member in _model_members(_unwrap(ann)):
        tags.extend(_literal_choices(_kind_annotation(member, field)))
    return tags


def _did_you_mean(value: Any, choices: Sequence) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dotted(parts: Sequence) -> str:
    return ".".join(str(p) for p in parts)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user would write it in YAML, shortened to fit one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (dict, list)):
        try:
            text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


def _resolve_all(config: RunConfig, source: str, cli_keys: Sequence[str]) -> dict[str, Strategy]:
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
        from_cli = _FROM_CLI if any(path == k or path.startswith(k + ".") for k in cli_keys) else ""
        if spec.strategy not in names:
            raise ConfigError(
                f"{source}: {path} = {_show(spec.strategy)} is not allowed: must be one of "
                f"{', '.join(repr(n) for n in names)}{_did_you_mean(spec.strategy, names)}{from_cli}"
            )
        try:
            resolved[seller] = spec.resolved
        except PresetError as exc:
            raise ConfigError(f"{source}: {path} = {spec.strategy!r} cannot be used: {exc}{from_cli}") from None
        except ValidationError as exc:
            # The spec's own fields passed validation, so the preset file itself is at fault.
            detail, _ = _describe_one(exc.errors(include_url=False)[0], Strategy, ())
            raise ConfigError(
                f"{source}: sellers.{seller}: strategy preset {spec.strategy!r} is invalid "
                f"({preset_path(spec.strategy)}): {detail}"
            ) from None
    return resolved


def _check_network(config: RunConfig, source: str, cli_keys: Sequence[str]) -> None:
    """The edge-list file of an ``edgelist`` network reads, and has room for the sellers."""
    spec = config.network
    if not isinstance(spec, EdgeListNet):
        return
    field = "network.path"
    from_cli = _FROM_CLI if any(field == k or field.startswith(k + ".") for k in cli_keys) else ""
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
    if len(config.sellers) >= info.n:
        raise ConfigError(f"{source}: sellers: {too_many_sellers(len(config.sellers), info.n, f'the edge list {spec.path!r}')}")


def _check_record(record: Any, resolved: Mapping[str, Strategy], source: str) -> None:
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
            raise ConfigError(f"{source}: {RESOLVED_KEY}.{seller} = {_show(written)} is not a mapping; {hint}")
        for field in sorted(set(current) | set(written)):
            if written.get(field) != current.get(field):
                raise ConfigError(
                    f"{source}: {RESOLVED_KEY}.{seller}.{field} = {_show(written.get(field))} "
                    f"but the config resolves to {_show(current.get(field))}; {hint}"
                )
