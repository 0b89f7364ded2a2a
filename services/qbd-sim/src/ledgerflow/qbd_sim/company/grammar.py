"""Content models written as one-line specs, checked the way QuickBooks' XSD-driven parser checks them.

A spec lists child elements in their required order, in the reference's own notation::

    "CustomerRef ClassRef? TxnDate? RefNumber?#11 LinkToTxnID*@6.0 (InvoiceLineAdd:InvoiceLine | X:Y)*"

``?`` optional, ``*`` any number, ``+`` one or more, ``@6.0`` the first qbXML version with the element, ``#11``
the maximum length (a 3070 at run time, not a parse error), ``:Type`` the element's own content model. Names
ending in ``Ref`` default to the ``Ref`` model; ``(a | b)`` is a choice, optionally with its own quantifier
and version. A spec compiles to a regular expression over the children's names, so order, repetition and
choice are decided exactly as a sequence-only XSD decides them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from lxml import etree

from ledgerflow.qbd_sim.company.status import ParseFailure

Version = tuple[int, int]
ANY_VERSION: Version = (1, 0)

_TOKEN = re.compile(
    r"\(|\)(?P<gq>[?*+])?(?:@(?P<gv>\d+\.\d+))?|\||"
    r"(?P<name>[A-Za-z][A-Za-z0-9]*)(?::(?P<type>\w+))?(?P<q>[?*+])?(?:@(?P<v>\d+\.\d+))?(?:#(?P<len>\d+))?"
)


def parse_version(text: str) -> Version:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


@dataclass(frozen=True)
class Particle:
    name: str
    type: str | None  # a content model's name, or None for a text-only element
    since: Version
    max_len: int | None


@dataclass
class _Elem:
    particle: Particle
    quantifier: str


@dataclass
class _Group:
    branches: list[list[_Elem | _Group]] = field(default_factory=lambda: [[]])
    quantifier: str = ""
    since: Version | None = None


@dataclass(frozen=True)
class Model:
    pattern: re.Pattern[str]
    particles: Mapping[str, Particle]


def _default_type(name: str) -> str | None:
    if name.endswith("Ref"):
        return "Ref"
    if name.endswith("Address") and name != "CreditCardAddress":
        return "Address"
    return None


def _parse(spec: str) -> _Group:
    root = _Group()
    stack = [root]
    position = 0
    for match in _TOKEN.finditer(spec):
        if spec[position : match.start()].strip():
            raise ValueError(f"bad spec near {spec[position:]!r}")
        position = match.end()
        token = match.group(0)
        if token == "(":
            group = _Group()
            stack[-1].branches[-1].append(group)
            stack.append(group)
        elif token == "|":
            stack[-1].branches.append([])
        elif token.startswith(")"):
            group = stack.pop()
            group.quantifier = match.group("gq") or ""
            group.since = parse_version(match.group("gv")) if match.group("gv") else None
        else:
            name = match.group("name")
            particle = Particle(
                name,
                match.group("type") or _default_type(name),
                parse_version(match.group("v")) if match.group("v") else ANY_VERSION,
                int(match.group("len")) if match.group("len") else None,
            )
            stack[-1].branches[-1].append(_Elem(particle, match.group("q") or ""))
    if spec[position:].strip() or len(stack) != 1:
        raise ValueError(f"bad spec {spec!r}")
    return root


def _render(group: _Group, inherited: Version, particles: dict[str, Particle]) -> str:
    since = max(inherited, group.since or ANY_VERSION)
    branches = []
    for branch in group.branches:
        parts = []
        for item in branch:
            if isinstance(item, _Group):
                parts.append(_render(item, since, particles))
                continue
            particle = item.particle
            if since > particle.since:
                particle = Particle(particle.name, particle.type, since, particle.max_len)
            known = particles.setdefault(particle.name, particle)
            if known != particle:
                raise ValueError(f"{particle.name} appears twice with different definitions")
            parts.append(f"(?:{re.escape(particle.name)};){item.quantifier}")
        branches.append("".join(parts))
    return f"(?:{'|'.join(branches)}){group.quantifier}"


def compile_spec(spec: str) -> Model:
    particles: dict[str, Particle] = {}
    pattern = _render(_parse(spec), ANY_VERSION, particles)
    return Model(re.compile(pattern), particles)


def flatten(spec: str) -> list[Particle]:
    """The elements of a spec in document order (for writing responses in XSD order)."""
    return list(compile_spec(spec).particles.values())


@dataclass
class Grammar:
    """A set of named content models plus the per-element rules the parser enforces."""

    models: Mapping[str, str]
    enums: Mapping[str, frozenset[str]]
    ref_lengths: Mapping[str, int]
    macro_fields: frozenset[tuple[str, str]]  # (model, element) pairs that accept useMacro
    def_macro_models: frozenset[str]  # models whose element accepts defMacro
    _compiled: dict[str, Model] = field(default_factory=dict)

    def model(self, name: str) -> Model:
        if name not in self._compiled:
            self._compiled[name] = compile_spec(self.models[name])
        return self._compiled[name]

    def validate(self, element: etree._Element, model_name: str, version: Version) -> list[tuple[str, str, int]]:
        """Raises ParseFailure; returns the (field, value, limit) of every string over its length."""
        overlong: list[tuple[str, str, int]] = []
        self._check(element, model_name, version, str(element.tag), None, overlong)
        return overlong

    def _check(
        self,
        element: etree._Element,
        model_name: str,
        version: Version,
        path: str,
        ref_len: int | None,
        overlong: list[tuple[str, str, int]],
    ) -> None:
        model = self.model(model_name)
        if (element.text or "").strip():
            raise ParseFailure(f"{path} has text but is an aggregate")
        children = list(_elements(element))
        tokens = "".join(f"{child.tag!s};" for child in children)
        if not model.pattern.fullmatch(tokens):
            names = " ".join(str(child.tag) for child in children)
            raise ParseFailure(f"{path}: children [{names}] do not follow {model_name}: {self.models[model_name]}")
        for child in children:
            name = str(child.tag)
            particle = model.particles[name]
            child_path = f"{path}/{name}"
            if particle.since > version:
                raise ParseFailure(f"{child_path} needs qbXML {particle.since[0]}.{particle.since[1]}")
            allowed = set()
            if (model_name, name) in self.macro_fields:
                allowed.add("useMacro")
            if particle.type in self.def_macro_models:
                allowed.add("defMacro")
            unknown = set(child.attrib) - allowed
            if unknown:
                raise ParseFailure(f"{child_path} has unknown attributes {sorted(unknown)}")
            if particle.type is not None:
                self._check(child, particle.type, version, child_path, self.ref_lengths.get(name), overlong)
                continue
            if len(child):
                raise ParseFailure(f"{child_path} is a text element but has children")
            text = child.text or ""
            if name in self.enums and text not in self.enums[name]:
                raise ParseFailure(f"{child_path}: {text!r} is not one of {sorted(self.enums[name])}")
            limit = ref_len if (model_name == "Ref" and name == "FullName" and ref_len) else particle.max_len
            if limit is not None and len(text) > limit:
                overlong.append((name, text, limit))


def _elements(element: etree._Element) -> Iterator[etree._Element]:
    for child in element:
        if (child.tail or "").strip():
            raise ParseFailure(f"stray text after {child.tag!s}")
        if isinstance(child.tag, str):  # comments and processing instructions are not content
            yield child
