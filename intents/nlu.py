"""Intent files in Rasa's NLU training-data format (``version: "3.1"``), read with line numbers.

Besides ``- intent:`` items, two kinds of admin rules are read: ``- regex: intent:<name>`` (Python
regular expressions) and ``- lookup: intent:<name>`` (plain keywords); a match forces the intent.
Other Rasa items (synonyms, entity regexes and lookups) are kept so that an export gives them back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.errors import IntentFileError

RULE_PREFIX = "intent:"
_ENTITY = re.compile(r"\[([^\]\n]+)\](?:\([^)\n]*\)|\{[^}\n]*\})")
_NAME = re.compile(r"^[A-Za-z0-9_][\w./-]*$")


@dataclass(frozen=True)
class Example:
    text: str  # as written, Rasa entity markup included
    line: int = field(default=0, compare=False)

    @property
    def plain(self) -> str:
        """The text without Rasa entity markup: ``[Seoul](city)`` becomes ``Seoul``."""
        return _ENTITY.sub(r"\1", self.text)


@dataclass(frozen=True)
class IntentBlock:
    name: str
    examples: tuple[Example, ...]
    extra: dict[str, Any] = field(default_factory=dict)  # Rasa keys we do not use, e.g. metadata
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RuleBlock:
    kind: Literal["regex", "lookup"]
    intent: str
    patterns: tuple[Example, ...]
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class NluData:
    intents: tuple[IntentBlock, ...] = ()
    rules: tuple[RuleBlock, ...] = ()
    other: tuple[Any, ...] = ()  # other Rasa nlu items, as plain YAML values
    digest: str = field(default="", compare=False)  # hash of the files' bytes

    def intent(self, name: str) -> IntentBlock | None:
        return next((i for i in self.intents if i.name == name), None)

    def merged(self, other: NluData) -> NluData:
        """Both files' content; an intent defined in both is an error naming the second place."""
        intents = _unique(self.intents + other.intents)
        return NluData(intents, self.rules + other.rules, self.other + other.other)


def parse(text: str, file: str) -> NluData:
    """Read one Rasa NLU YAML document; any problem is an ``IntentFileError`` naming file and line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        plain = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise IntentFileError(file, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise IntentFileError(file, None, f"not valid YAML: {exc}") from None
    if root is None:
        raise IntentFileError(file, None, "the file is empty (expected version: \"3.1\" and nlu:)")
    top = _mapping(root, file, "the file")
    if "version" in top:
        version = top["version"]
        if not (isinstance(version, yaml.ScalarNode) and str(version.value).startswith(("2.", "3."))):
            raise IntentFileError(file, _line(version), "version must be a Rasa 3 format version, e.g. \"3.1\"")
    items = top.get("nlu")
    if not isinstance(items, yaml.SequenceNode):
        line = _line(items) if items is not None else 1
        raise IntentFileError(file, line, "expected an nlu: list of '- intent:' items")
    intents: list[IntentBlock] = []
    rules: list[RuleBlock] = []
    other: list[Any] = []
    for index, node in enumerate(items.value):
        item = _mapping(node, file, "an nlu item")
        if "intent" in item:
            intents.append(_intent(item, file, _line(node)))
        elif ("regex" in item or "lookup" in item) and _is_rule(item):
            rules.append(_rule(item, file, _line(node)))
        else:
            other.append(plain["nlu"][index])
    return NluData(_unique(tuple(intents)), tuple(rules), tuple(other))


def load_file(path: Path) -> NluData:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise IntentFileError(str(path), None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise IntentFileError(str(path), None, "not UTF-8 text") from None
    data = parse(text, str(path))
    return NluData(data.intents, data.rules, data.other, hashlib.sha256(raw).hexdigest())


def intent_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_dir(directory: Path) -> NluData:
    """All ``*.yml``/``*.yaml`` files of ``directory`` merged; ``digest`` covers names and bytes."""
    files = intent_files(directory)
    if not files:
        raise IntentFileError(str(directory), None, "no intent files (*.yml or *.yaml) found")
    merged = NluData()
    digest = hashlib.sha256()
    for path in files:
        one = load_file(path)
        merged = merged.merged(one)
        digest.update(f"{path.name}\0{one.digest}\0".encode())
    return NluData(merged.intents, merged.rules, merged.other, digest.hexdigest())


def _unique(blocks: tuple[IntentBlock, ...]) -> tuple[IntentBlock, ...]:
    seen: dict[str, IntentBlock] = {}
    for block in blocks:
        first = seen.setdefault(block.name, block)
        if first is not block:
            where = f"{first.file}:{first.line}"
            raise IntentFileError(block.file, block.line, f"intent {block.name!r} is already defined at {where}")
    return blocks


def _is_rule(item: dict[str, yaml.Node]) -> bool:
    name = item.get("regex") or item.get("lookup")
    return isinstance(name, yaml.ScalarNode) and str(name.value).startswith(RULE_PREFIX)


def _intent(item: dict[str, yaml.Node], file: str, line: int) -> IntentBlock:
    name = _name(item["intent"], file)
    examples = _examples(item.get("examples"), file, line, f"intent {name!r}")
    extra = {k: yaml.safe_load(yaml.serialize(v)) for k, v in item.items() if k not in ("intent", "examples")}
    return IntentBlock(name, examples, extra, file, line)


def _rule(item: dict[str, yaml.Node], file: str, line: int) -> RuleBlock:
    kind: Literal["regex", "lookup"] = "regex" if "regex" in item else "lookup"
    full = str(item[kind].value)
    intent = full[len(RULE_PREFIX):].strip()
    if not _NAME.match(intent):
        raise IntentFileError(file, _line(item[kind]), f"{kind} {full!r}: expected {kind}: intent:<intent name>")
    patterns = _examples(item.get("examples"), file, line, f"{kind} {full!r}")
    for p in patterns:
        if kind == "regex":
            try:
                compiled = re.compile(p.text, re.IGNORECASE)
            except re.error as exc:
                raise IntentFileError(file, p.line, f"{kind} {full!r}: bad regular expression: {exc}") from None
            if compiled.search(""):
                raise IntentFileError(file, p.line, f"{kind} {full!r}: {p.text!r} matches empty text")
    return RuleBlock(kind, intent, patterns, file, line)


def _name(node: yaml.Node, file: str) -> str:
    name = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
    if not _NAME.match(name):
        raise IntentFileError(file, _line(node), f"bad intent name {name!r} (letters, digits, _ . - /)")
    return name


def _examples(node: yaml.Node | None, file: str, line: int, what: str) -> tuple[Example, ...]:
    found: list[Example] = []
    if isinstance(node, yaml.ScalarNode):
        literal = node.style == "|"  # only a literal block keeps one example per source line
        base = node.start_mark.line + (2 if literal else 1)
        for offset, raw in enumerate(str(node.value).split("\n")):
            here = base + offset if literal else base
            text = raw.strip()
            if not text:
                continue
            if not text.startswith("-"):
                raise IntentFileError(file, here, f"{what}: each example line must start with '- '")
            found.append(_example(text[1:].strip(), file, here, what))
    elif isinstance(node, yaml.SequenceNode):  # the long form: examples: [- text: ...]
        for entry in node.value:
            fields = _mapping(entry, file, "an example") if isinstance(entry, yaml.MappingNode) else {}
            text_node = fields.get("text", entry)
            if not isinstance(text_node, yaml.ScalarNode):
                raise IntentFileError(file, _line(entry), f"{what}: an example must be text")
            found.append(_example(str(text_node.value).strip(), file, _line(text_node), what))
    elif node is not None:
        raise IntentFileError(file, _line(node), f"{what}: examples must be a '|' block of '- ' lines")
    if not found:
        raise IntentFileError(file, line, f"{what} has no examples")
    return tuple(found)


def _example(text: str, file: str, line: int, what: str) -> Example:
    if not text:
        raise IntentFileError(file, line, f"{what}: empty example")
    return Example(text, line)


def _mapping(node: yaml.Node, file: str, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise IntentFileError(file, _line(node), f"{what} must be a mapping of keys to values")
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = str(key.value)
        if name in out:
            raise IntentFileError(file, _line(key), f"duplicate key {name!r}")
        out[name] = value
    return out


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def dump(data: NluData) -> str:
    """``data`` as one Rasa 3.1 NLU YAML document, examples in ``|`` blocks of ``- `` lines."""
    out = ['version: "3.1"', "", "nlu:"]
    for block in data.intents:
        out.append(f"- intent: {block.name}")  # names are checked by _NAME: plain YAML
        for key, value in block.extra.items():
            out.extend("  " + line for line in _yaml({key: value}).splitlines())
        out.extend(_block(block.examples))
    for rule in data.rules:
        out.append(f"- {rule.kind}: {RULE_PREFIX}{rule.intent}")
        out.extend(_block(rule.patterns))
    for item in data.other:
        out.extend(_yaml([item]).splitlines())
    return "\n".join(out) + "\n"


def _block(examples: tuple[Example, ...]) -> list[str]:
    return ["  examples: |", *(f"    - {e.text}" for e in examples)]


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
