"""Reads Kafka's JSON message specs into a small typed model the emitter walks.

The spec files are JSON with `//` line comments. Only structure is taken from them (names,
types, versions, defaults, tags); their prose (`about`) is deliberately ignored.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

PRIMITIVES = {
    "bool",
    "int8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "float64",
    "string",
    "bytes",
    "uuid",
    "records",
}

# Highest version the generator will ever have to care about; "N+" means N..MAX.
MAX_VERSION = 0x7FFF


@dataclass(frozen=True)
class Versions:
    """An inclusive version range; `none` is the empty range."""

    lo: int
    hi: int

    @classmethod
    def parse(cls, text: str | None) -> Versions:
        if text is None or text == "none":
            return NONE
        text = text.strip()
        if text.endswith("+"):
            return cls(int(text[:-1]), MAX_VERSION)
        if "-" in text:
            a, b = text.split("-")
            return cls(int(a), int(b))
        return cls(int(text), int(text))

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def contains(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def intersect(self, other: Versions) -> Versions:
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))


NONE = Versions(1, 0)


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return s + "_" if keyword.iskeyword(s) else s


@dataclass
class Field:
    name: str  # spec name, e.g. "TopicData"
    py: str  # snake_case attribute name
    type: str  # element type name for arrays; primitive or struct name
    is_array: bool
    versions: Versions
    nullable: Versions
    tag: int | None
    tagged: Versions
    default: str | int | bool | None
    ignorable: bool
    flexible_override: Versions | None
    struct: Struct | None = None

    @property
    def is_struct(self) -> bool:
        return self.type not in PRIMITIVES


@dataclass
class Struct:
    name: str
    versions: Versions
    fields: list[Field] = field(default_factory=list)


@dataclass
class Message:
    path: Path
    name: str  # e.g. ProduceRequest
    kind: str  # request/response/header/data/coordinator-key/coordinator-value
    api_key: int | None
    valid: Versions
    flexible: Versions
    latest_unstable: bool
    listeners: list[str]
    root: Struct
    structs: dict[str, Struct]  # every named struct in the message (incl. common structs)


def load_json(path: Path) -> dict:
    text = re.sub(r"^\s*//.*$", "", path.read_text(), flags=re.M)
    return json.loads(text)  # type: ignore[no-any-return]


def parse_message(path: Path) -> Message:
    d = load_json(path)
    valid = Versions.parse(d["validVersions"])
    flexible = Versions.parse(d.get("flexibleVersions", "none"))
    structs: dict[str, Struct] = {}
    common_specs = {c["name"]: c for c in d.get("commonStructs", [])}

    def build_fields(specs: list[dict], owner_versions: Versions) -> list[Field]:
        out = []
        for f in specs:
            t = f["type"]
            is_array = t.startswith("[]")
            base = t[2:] if is_array else t
            versions = Versions.parse(f.get("versions"))
            tagged = Versions.parse(f.get("taggedVersions")) if "tag" in f else NONE
            if "tag" in f and "versions" not in f:
                versions = tagged
            fo = f.get("flexibleVersions")
            fld = Field(
                name=f["name"],
                py=snake(f["name"]),
                type=base,
                is_array=is_array,
                versions=versions,
                nullable=Versions.parse(f.get("nullableVersions")),
                tag=f.get("tag"),
                tagged=tagged,
                default=f.get("default"),
                ignorable=bool(f.get("ignorable", False)),
                flexible_override=Versions.parse(fo) if fo is not None else None,
            )
            if base not in PRIMITIVES:
                if "fields" in f:
                    st = Struct(base, versions)
                    structs[base] = st
                    st.fields = build_fields(f["fields"], versions)
                elif base in common_specs:
                    if base not in structs:
                        cs = common_specs[base]
                        st = Struct(base, Versions.parse(cs.get("versions", "0+")))
                        structs[base] = st
                        st.fields = build_fields(cs["fields"], st.versions)
                elif base not in structs:
                    raise ValueError(f"{path.name}: unknown type {base} of field {f['name']}")
                fld.struct = structs[base]
            out.append(fld)
        return out

    root = Struct(d["name"], valid)
    root.fields = build_fields(d.get("fields", []), valid)
    # Resolve late references (a common struct used before its definition was reached).
    for st in [root, *structs.values()]:
        for fl in st.fields:
            if fl.is_struct and fl.struct is None:
                fl.struct = structs[fl.type]
    return Message(
        path=path,
        name=d["name"],
        kind=d["type"],
        api_key=d.get("apiKey"),
        valid=valid,
        flexible=flexible,
        latest_unstable=bool(d.get("latestVersionUnstable", False)),
        listeners=list(d.get("listeners", [])),
        root=root,
        structs=structs,
    )
