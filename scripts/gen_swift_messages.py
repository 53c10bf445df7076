#!/usr/bin/env python3
"""Generates the Swift message types of WeftMessages, coded to and from the protobuf wire format by protobuf-c.

Input: a FileDescriptorSet made by `protoc --include_imports --include_source_info`.
Output, into --out:
  <proto path with "/" as "_">.pb.swift  per proto file: a struct per message, an enum per enum, and the
                                         conversions to and from the structs protoc-c 1.4.1 generates
  DescriptorSet.swift                    the whole input set, embedded for the reflection service

Swift names follow swift-protobuf (types `Package_Path_Message`, nested types nested, lowerCamelCase fields
with `ID`/`URL`/`HTTP`/`HTTPS` upper-cased, enum cases stripped of the enum-name prefix) so code reads as it
would with swift-protobuf. C names follow protoc-c 1.4.1 (`c_helpers.cc`). The runtime the generated code
calls (Arena, ProtobufC, UnknownFields) is hand-written in Sources/WeftMessages; each generated field is one
or two lines calling it.

The output depends only on the input: no dates, paths or dictionary-order effects, so CI can diff it.
"""

import argparse
import base64
import os
import sys

from google.protobuf import descriptor_pb2

FieldProto = descriptor_pb2.FieldDescriptorProto

GENERATOR = "scripts/gen_swift_messages.py"
LINE_WIDTH = 120

# Files whose messages get no Swift types, with the reason written into the file that stands in for them.
SKIPPED_FILES = {
    "grpc/reflection/v1alpha/reflection.proto": "grpc/reflection/v1/reflection.proto",
}

# --- Naming ------------------------------------------------------------------------------------------------

# swift-protobuf upper-cases these words inside camel-cased names (`workflow_id` -> `workflowID`).
SWIFT_ABBREVIATIONS = {"url", "http", "https", "id"}

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
    "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
    "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
    "where", "while", "Any", "as", "await", "false", "is", "nil", "super", "throws", "true", "try",
}
# Names that backticks cannot rescue as members, or that the generated types already use.
SWIFT_RESERVED_MEMBERS = {
    "self", "Self", "Type", "Protocol", "init", "unknownFields", "protoMessageName", "hashValue", "wireBytes",
    "rawValue", "allCases", "unrecognized",
}

# protoc-c appends "_" to field names that are C++ keywords (c_helpers.cc, kKeywordList).
C_KEYWORDS = {
    "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class",
    "compl", "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else",
    "enum", "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
    "mutable", "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected", "public",
    "register", "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_cast", "struct",
    "switch", "template", "this", "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned",
    "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
}


def _char_class(ch):
    if "0" <= ch <= "9":
        return "digit"
    if "a" <= ch <= "z":
        return "lower"
    if "A" <= ch <= "Z":
        return "upper"
    if ch == "_":
        return "underscore"
    raise SystemExit(f"{GENERATOR}: unsupported character {ch!r} in a proto name")


def camel_case(name, upper_first):
    """swift-protobuf's CamelCaser.transform (SwiftProtobufPluginLibrary/NamingUtils.swift)."""
    result = ""
    current = ""
    last = None

    def add_current():
        nonlocal result, current
        if not current:
            return
        word = current
        if not result and not upper_first:
            pass
        elif word in SWIFT_ABBREVIATIONS:
            word = word.upper()
        else:
            word = word[0].upper() + word[1:]
        result += word
        current = ""

    for ch in name:
        kind = _char_class(ch)
        if kind == "digit":
            if last != "digit":
                add_current()
            if not result:
                result += "_"
            current += ch
        elif kind == "upper":
            if last != "upper":
                add_current()
            current += ch.lower()
        elif kind == "lower":
            if last not in ("lower", "upper"):
                add_current()
            current += ch
        else:
            add_current()
            if last == "underscore":
                result += "_"
        last = kind
    add_current()
    if last == "underscore":
        result += "_"
    return result


def swift_type_prefix(package):
    """swift-protobuf's type prefix: `grpc.health.v1` -> `Grpc_Health_V1_`, `my_pkg` -> `MyPkg_`."""
    if not package:
        return ""
    prefix = ""
    make_upper = True
    for ch in package:
        if ch == "_":
            make_upper = True
        elif ch == ".":
            make_upper = True
            prefix += "_"
        elif make_upper:
            prefix += ch.upper()
            make_upper = False
        else:
            prefix += ch
    return prefix + "_"


def swift_member(name):
    """A property or case name, escaped when it is a keyword."""
    if name in SWIFT_RESERVED_MEMBERS:
        return name + "_p"
    if name in SWIFT_KEYWORDS:
        return f"`{name}`"
    return name


def swift_field_name(field):
    return swift_member(camel_case(field.name, upper_first=False))


def strip_enum_prefix(enum_name, value_name):
    """swift-protobuf's NamingUtils.strip(protoPrefix:from:): `COMPLEXITY_SIMPLE` in `Complexity` -> `SIMPLE`."""
    prefix = enum_name.lower()
    source = value_name.lower()
    p = s = 0
    while p < len(prefix):
        if s == len(source):
            return None
        if prefix[p] == "_":
            p += 1
            continue
        if source[s] == "_":
            s += 1
            continue
        if prefix[p] != source[s]:
            return None
        p += 1
        s += 1
    while s < len(source) and source[s] == "_":
        s += 1
    if s == len(source) or source[s].isdigit():
        return None
    return value_name[s:]


def c_to_camel(piece):
    """protoc-c ToCamel: `health_check` -> `HealthCheck`, `HealthCheckResponse` unchanged."""
    out = ""
    next_upper = True
    for ch in piece:
        if ch == "_":
            next_upper = True
        elif next_upper:
            out += ch.upper()
            next_upper = False
        else:
            out += ch
    return out


def c_camel_to_lower(piece):
    """protoc-c CamelToLower: `HealthCheckResponse` -> `health_check_response`, `HTTPThing` -> `httpthing`."""
    out = ""
    was_upper = True
    for ch in piece:
        is_upper = ch.isupper()
        if is_upper:
            if not was_upper:
                out += "_"
            out += ch.lower()
        else:
            out += ch
        was_upper = is_upper
    return out


def c_type_name(full_name):
    return "__".join(c_to_camel(piece) for piece in full_name.split(".") if piece)


def c_function_prefix(full_name):
    return "__".join(c_camel_to_lower(piece) for piece in full_name.split(".") if piece)


def c_field_name(name):
    """The C member, spelled for use in Swift (`c.`self``)."""
    lowered = name.lower()
    if lowered in C_KEYWORDS:
        return lowered + "_"
    if lowered in SWIFT_KEYWORDS or lowered in SWIFT_RESERVED_MEMBERS:
        return f"`{lowered}`"
    return lowered


# --- Types -------------------------------------------------------------------------------------------------

# proto type -> (Swift type, Swift default, how the value crosses to C)
SCALARS = {
    FieldProto.TYPE_DOUBLE: ("Double", "0", "same"),
    FieldProto.TYPE_FLOAT: ("Float", "0", "same"),
    FieldProto.TYPE_INT64: ("Int64", "0", "same"),
    FieldProto.TYPE_UINT64: ("UInt64", "0", "same"),
    FieldProto.TYPE_INT32: ("Int32", "0", "same"),
    FieldProto.TYPE_FIXED64: ("UInt64", "0", "same"),
    FieldProto.TYPE_FIXED32: ("UInt32", "0", "same"),
    FieldProto.TYPE_BOOL: ("Bool", "false", "bool"),
    FieldProto.TYPE_STRING: ("String", '""', "string"),
    FieldProto.TYPE_BYTES: ("[UInt8]", "[]", "bytes"),
    FieldProto.TYPE_UINT32: ("UInt32", "0", "same"),
    FieldProto.TYPE_SFIXED32: ("Int32", "0", "same"),
    FieldProto.TYPE_SFIXED64: ("Int64", "0", "same"),
    FieldProto.TYPE_SINT32: ("Int32", "0", "same"),
    FieldProto.TYPE_SINT64: ("Int64", "0", "same"),
}


class TypeInfo:
    """A message or enum: its names in protobuf, Swift and C."""

    def __init__(self, kind, proto, full_name, swift_name, file, parent):
        self.kind = kind  # "message" or "enum"
        self.proto = proto
        self.full_name = full_name  # without the leading dot
        self.swift_name = swift_name
        self.file = file
        self.parent = parent
        self.c_type = c_type_name(full_name)
        self.c_prefix = c_function_prefix(full_name)
        self.is_map_entry = kind == "message" and proto.options.map_entry


class Registry:
    """Every type in the descriptor set, by full name."""

    def __init__(self, files):
        self.types = {}
        for file in files:
            prefix = swift_type_prefix(file.package)
            package = file.package + "." if file.package else ""
            for message in file.message_type:
                self._add_message(message, package + message.name, prefix + message.name, file, None)
            for enum in file.enum_type:
                self._add(TypeInfo("enum", enum, package + enum.name, prefix + enum.name, file, None))

    def _add(self, info):
        self.types["." + info.full_name] = info
        return info

    def _add_message(self, message, full_name, swift_name, file, parent):
        info = self._add(TypeInfo("message", message, full_name, swift_name, file, parent))
        for nested in message.nested_type:
            self._add_message(nested, f"{full_name}.{nested.name}", f"{swift_name}.{nested.name}", file, info)
        for enum in message.enum_type:
            self._add(TypeInfo("enum", enum, f"{full_name}.{enum.name}", f"{swift_name}.{enum.name}", file, info))

    def resolve(self, type_name):
        try:
            return self.types[type_name]
        except KeyError:
            raise SystemExit(f"{GENERATOR}: unknown type {type_name} (was the set made with --include_imports?)")


def check_supported(files, registry):
    """Fails on what protoc-c 1.4.1 or this generator cannot code, rather than generating wrong code."""
    for file in files:
        if file.syntax != "proto3":
            raise SystemExit(f"{GENERATOR}: {file.name}: only proto3 is supported (proto2 has has_/defaults)")
    for info in registry.types.values():
        if info.kind != "message":
            continue
        for field in info.proto.field:
            where = f"{info.full_name}.{field.name}"
            if field.proto3_optional:
                raise SystemExit(f"{GENERATOR}: {where}: proto3 optional is not supported by protoc-c 1.4.1; "
                                 "use a google.protobuf wrapper message")
            if field.type == FieldProto.TYPE_GROUP:
                raise SystemExit(f"{GENERATOR}: {where}: groups are not supported")
            if field.HasField("extendee"):
                raise SystemExit(f"{GENERATOR}: {where}: extensions are not supported")
    # A struct cannot contain itself through optionals or oneof cases (arrays and maps are indirect).
    state = {}

    def visit(info, path):
        state[info.full_name] = "visiting"
        for field in info.proto.field:
            if field.type != FieldProto.TYPE_MESSAGE or field.label == FieldProto.LABEL_REPEATED:
                continue
            target = registry.resolve(field.type_name)
            if state.get(target.full_name) == "visiting":
                cycle = " -> ".join(path + [target.full_name])
                raise SystemExit(f"{GENERATOR}: recursive messages are not supported: {cycle}")
            if target.full_name not in state:
                visit(target, path + [target.full_name])
        state[info.full_name] = "done"

    for info in sorted(registry.types.values(), key=lambda i: i.full_name):
        if info.kind == "message" and info.full_name not in state:
            visit(info, [info.full_name])


# --- Comments ----------------------------------------------------------------------------------------------


class Comments:
    """Leading (else trailing) comments from source info, by descriptor path."""

    def __init__(self, file):
        self.by_path = {}
        for location in file.source_code_info.location:
            self.by_path[tuple(location.path)] = location

    def doc(self, path, fallback, indent):
        location = self.by_path.get(tuple(path))
        text = ""
        if location is not None:
            text = location.leading_comments.strip() or location.trailing_comments.strip()
        lines = [line.strip() for line in text.splitlines()] if text else [fallback]
        while lines and not lines[-1]:
            lines.pop()
        return [f"{indent}///" + (f" {line}" if line else "") for line in lines]


# --- Fields ------------------------------------------------------------------------------------------------


class Field:
    """One field of a message with its Swift and C spellings."""

    def __init__(self, proto, registry):
        self.proto = proto
        self.number = proto.number
        self.swift = swift_field_name(proto)
        self.c = c_field_name(proto.name)
        self.c_count = "n_" + c_field_name(proto.name).strip("`")
        self.repeated = proto.label == FieldProto.LABEL_REPEATED
        self.type = proto.type
        self.target = registry.resolve(proto.type_name) if proto.type_name else None
        self.in_oneof = proto.HasField("oneof_index")
        self.map_key = self.map_value = None
        if self.target is not None and self.target.is_map_entry:
            key, value = sorted(self.target.proto.field, key=lambda f: f.number)
            self.map_key = Field(key, registry)
            self.map_value = Field(value, registry)

    @property
    def is_map(self):
        return self.map_key is not None

    def element_type(self):
        """The Swift type of one value."""
        if self.type == FieldProto.TYPE_MESSAGE or self.type == FieldProto.TYPE_ENUM:
            return self.target.swift_name
        return SCALARS[self.type][0]

    def element_default(self):
        """The proto3 default of a scalar or enum."""
        if self.type == FieldProto.TYPE_ENUM:
            return f".{enum_cases(self.target.proto)[default_enum_value(self.target.proto)]}"
        return SCALARS[self.type][1]

    def swift_type(self):
        if self.is_map:
            return f"[{self.map_key.element_type()}: {self.map_value.element_type()}]"
        if self.repeated:
            return f"[{self.element_type()}]"
        if self.type == FieldProto.TYPE_MESSAGE:
            return f"{self.element_type()}?"
        return self.element_type()

    def swift_default(self):
        if self.is_map:
            return "[:]"
        if self.repeated:
            return "[]"
        if self.type == FieldProto.TYPE_MESSAGE:
            return "nil"
        return self.element_default()

    def crossing(self):
        if self.type == FieldProto.TYPE_MESSAGE:
            return "message"
        if self.type == FieldProto.TYPE_ENUM:
            return "enum"
        return SCALARS[self.type][2]

    # Decoding: Swift expressions reading a C value.

    def decode_value(self, c_expr):
        """One value of this field's type from the C value `c_expr` (`try` is added by the caller)."""
        crossing = self.crossing()
        if crossing == "same":
            return c_expr
        if crossing == "bool":
            return f"{c_expr} != 0"
        if crossing == "string":
            return f"ProtobufC.string({c_expr})"
        if crossing == "bytes":
            return f"ProtobufC.bytes({c_expr})"
        if crossing == "enum":
            return f"{self.target.swift_name}(protobufC: {c_expr})"
        return f"ProtobufC.messageOrDefault({c_expr})"

    def decode_lines(self, indent):
        """Statements setting `self.<field>` from `c` (the unpacked struct)."""
        c_value = f"c.{self.c}"
        target = f"self.{self.swift}"
        if self.is_map:
            key, value = self.map_key, self.map_value
            return [
                f"{indent}for entry in ProtobufC.buffer(c.{self.c}, c.{self.c_count}) {{",
                f"{indent}    guard let entry = entry?.pointee else {{ continue }}",
                f"{indent}    let key = {try_prefix(key)}{key.decode_value('entry.' + key.c)}",
                f"{indent}    {target}[key] = {try_prefix(value)}{value.decode_value('entry.' + value.c)}",
                f"{indent}}}",
            ]
        if self.repeated:
            count = f"c.{self.c_count}"
            crossing = self.crossing()
            if crossing == "same":
                value = f"ProtobufC.array({c_value}, {count})"
            elif crossing == "bool":
                value = f"ProtobufC.booleans({c_value}, {count})"
            elif crossing == "string":
                value = f"try ProtobufC.strings({c_value}, {count})"
            elif crossing == "bytes":
                value = f"ProtobufC.binaries({c_value}, {count})"
            elif crossing == "enum":
                value = f"ProtobufC.enums({c_value}, {count})"
            else:
                value = f"try ProtobufC.messages({c_value}, {count})"
            return [f"{indent}{target} = {value}"]
        if self.type == FieldProto.TYPE_MESSAGE:
            return [f"{indent}{target} = try ProtobufC.message({c_value})"]
        return [f"{indent}{target} = {try_prefix(self)}{self.decode_value(c_value)}"]

    # Encoding: Swift statements writing a C value.

    def encode_value_lines(self, c_target, value, indent, always):
        """Statements storing the Swift `value` into the C lvalue `c_target`.

        Unless `always` (oneof members, whose presence is the case), empty strings and bytes are left at the
        defaults `__init` set, which protobuf-c does not write.
        """
        crossing = self.crossing()
        if crossing == "same":
            return [f"{indent}{c_target} = {value}"]
        if crossing == "bool":
            return [f"{indent}{c_target} = {value} ? 1 : 0"]
        if crossing == "enum":
            return [f"{indent}{c_target} = {value}.protobufC()"]
        if crossing == "message":
            return [f"{indent}{c_target} = {value}.protobufC(&arena)"]
        builder = "cString" if crossing == "string" else "binary"
        if always:
            return [f"{indent}{c_target} = arena.{builder}({value})"]
        return [f"{indent}if !{value}.isEmpty {{ {c_target} = arena.{builder}({value}) }}"]

    def encode_lines(self, indent):
        """Statements filling `c` (the struct being built) from `self.<field>`."""
        value = f"self.{self.swift}"
        c_target = f"c.pointee.{self.c}"
        if self.is_map:
            key, entry_value = self.map_key, self.map_value
            entry = self.target
            if key.type == FieldProto.TYPE_BOOL:
                order = "{ !$0.key && $1.key }"
            else:
                order = "{ $0.key < $1.key }"
            lines = [
                f"{indent}if !{value}.isEmpty {{",
                f"{indent}    // Sorted by key, so that equal maps encode to equal bytes.",
                f"{indent}    let entries = arena.pointers(",
                f"{indent}        to: {entry.c_type}.self,",
                f"{indent}        count: {value}.count",
                f"{indent}    )",
                f"{indent}    for (index, (key, value)) in {value}.sorted(by: {order}).enumerated() {{",
                f"{indent}        let entry = arena.message({entry.c_prefix}__init)",
            ]
            lines += key.encode_value_lines(f"entry.pointee.{key.c}", "key", indent + "        ", False)
            lines += entry_value.encode_value_lines(f"entry.pointee.{entry_value.c}", "value", indent + "        ",
                                                    False)
            lines += [
                f"{indent}        entries[index] = entry",
                f"{indent}    }}",
                f"{indent}    c.pointee.{self.c_count} = {value}.count",
                f"{indent}    {c_target} = entries",
                f"{indent}}}",
            ]
            return lines
        if self.repeated:
            crossing = self.crossing()
            builder = {"same": "copy", "bool": "booleans", "string": "cStrings", "bytes": "binaries",
                       "enum": "enums", "message": "messages"}[crossing]
            return [
                f"{indent}if !{value}.isEmpty {{",
                f"{indent}    c.pointee.{self.c_count} = {value}.count",
                f"{indent}    {c_target} = arena.{builder}({value})",
                f"{indent}}}",
            ]
        if self.type == FieldProto.TYPE_MESSAGE:
            return [f"{indent}if let value = {value} {{ {c_target} = value.protobufC(&arena) }}"]
        return self.encode_value_lines(c_target, value, indent, False)


def try_prefix(field):
    return "try " if field.crossing() in ("string", "message") else ""


def default_enum_value(enum):
    for index, value in enumerate(enum.value):
        if value.number == 0:
            return index
    raise SystemExit(f"{GENERATOR}: enum {enum.name} has no zero value (proto3 requires one)")


def enum_cases(enum):
    """Swift case names for the values of `enum`, by value index."""
    stripped = [strip_enum_prefix(enum.name, value.name) for value in enum.value]
    names = [camel_case(s if s is not None else v.name, upper_first=False) for s, v in zip(stripped, enum.value)]
    if len(set(names)) != len(names):  # stripping made two names equal: keep the full names
        names = [camel_case(v.name, upper_first=False) for v in enum.value]
    return [swift_member(name) for name in names]


# --- Emitting ----------------------------------------------------------------------------------------------


class FileEmitter:
    """The Swift source for one proto file."""

    def __init__(self, file, registry):
        self.file = file
        self.registry = registry
        self.comments = Comments(file)
        self.types = []  # public declarations
        self.coding = []  # internal protobuf-c conversions

    def emit(self):
        for index, enum in enumerate(self.file.enum_type):
            info = self.registry.resolve(f".{self._package_dot()}{enum.name}")
            self._enum(info, [5, index], "")
        for index, message in enumerate(self.file.message_type):
            info = self.registry.resolve(f".{self._package_dot()}{message.name}")
            self._message(info, [4, index])
        lines = [
            f"// Generated by {GENERATOR} from {self.file.name}. Do not edit.",
            "",
            "public import WeftRPC",
            "internal import CProtobufC",
            "internal import WeftProtoC",
            "",
        ]
        for skipped, stand_in in sorted(SKIPPED_FILES.items()):
            if stand_in == self.file.name:
                lines += [
                    f"// {skipped} has no Swift types of its own: its messages are wire-identical",
                    "// to these (same message names, fields and numbers; only the package differs), so the server",
                    "// serves both services with these types.",
                    "",
                ]
        lines += self.types
        if self.coding:
            lines += ["// MARK: - protobuf-c coding", ""] + self.coding
        while lines and lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n"

    def _package_dot(self):
        return self.file.package + "." if self.file.package else ""

    # Enums

    def _enum(self, info, path, indent):
        enum = info.proto
        cases = enum_cases(enum)
        default = cases[default_enum_value(enum)]
        name = info.swift_name.split(".")[-1]
        out = self.types
        out += self.comments.doc(path, f"`{info.full_name}`.", indent)
        out.append(f"{indent}public enum {name}: RawRepresentable, CaseIterable, Hashable, Sendable {{")
        for index, (value, case) in enumerate(zip(enum.value, cases)):
            out += self.comments.doc(path + [2, index], f"`{value.name}` = {value.number}.", indent + "    ")
            out.append(f"{indent}    case {case}")
        out += [
            f"{indent}    /// A value this schema does not define, kept so that it survives a decode and re-encode.",
            f"{indent}    case unrecognized(Int32)",
            "",
            f"{indent}    /// The known cases, in declaration order.",
            f"{indent}    public static let allCases: [{info.swift_name}] = [",
        ]
        out += [f"{indent}        .{case}," for case in cases]
        out += [
            f"{indent}    ]",
            "",
            f"{indent}    /// The zero value, `.{default.strip('`')}`.",
            f"{indent}    public init() {{",
            f"{indent}        self = .{default}",
            f"{indent}    }}",
            "",
            f"{indent}    /// The case for a wire value; `.unrecognized` when this schema does not define it.",
            f"{indent}    public init(rawValue: Int32) {{",
            f"{indent}        switch rawValue {{",
        ]
        seen = set()
        for value, case in zip(enum.value, cases):
            if value.number in seen:  # allow_alias: the first name wins
                continue
            seen.add(value.number)
            out.append(f"{indent}        case {value.number}: self = .{case}")
        out += [
            f"{indent}        default: self = .unrecognized(rawValue)",
            f"{indent}        }}",
            f"{indent}    }}",
            "",
            f"{indent}    /// The wire value.",
            f"{indent}    public var rawValue: Int32 {{",
            f"{indent}        switch self {{",
        ]
        out += [f"{indent}        case .{case}: {value.number}" for value, case in zip(enum.value, cases)]
        out += [
            f"{indent}        case .unrecognized(let value): value",
            f"{indent}        }}",
            f"{indent}    }}",
            f"{indent}}}",
            "",
        ]
        self.coding += [f"extension {info.swift_name}: ProtobufCEnum {{}}", ""]

    # Messages

    def _message(self, info, path):
        message = info.proto
        fields = [Field(f, self.registry) for f in message.field]
        oneofs = self._oneofs(info, fields)
        self._struct(info, path, fields, oneofs)
        nested = []
        for index, enum in enumerate(message.enum_type):
            nested.append((self.registry.resolve(f".{info.full_name}.{enum.name}"), path + [4, index]))
        if oneofs or nested:
            self.types += [f"extension {info.swift_name} {{"]
            for oneof in oneofs:
                self._oneof_enum(info, oneof, path)
            for enum_info, enum_path in nested:
                self._enum(enum_info, enum_path, "    ")
            while self.types[-1] == "":
                self.types.pop()
            self.types += ["}", ""]
        for index, nested_message in enumerate(message.nested_type):
            nested_info = self.registry.resolve(f".{info.full_name}.{nested_message.name}")
            if not nested_info.is_map_entry:
                self._message(nested_info, path + [3, index])
        self._coding(info, fields, oneofs)

    def _oneofs(self, info, fields):
        oneofs = []
        for index, decl in enumerate(info.proto.oneof_decl):
            members = [f for f in fields if f.in_oneof and f.proto.oneof_index == index]
            type_name = camel_case(decl.name, upper_first=True)
            nested_names = {n.name for n in info.proto.nested_type} | {e.name for e in info.proto.enum_type}
            if type_name in nested_names:
                raise SystemExit(f"{GENERATOR}: {info.full_name}: oneof {decl.name} clashes with a nested type")
            oneofs.append({
                "index": index,
                "proto": decl,
                "swift": swift_member(camel_case(decl.name, upper_first=False)),
                "type": type_name,
                "c": decl.name.lower(),
                "members": members,
            })
        return oneofs

    def _struct(self, info, path, fields, oneofs):
        name = info.swift_name.split(".")[-1]
        out = []
        indent = "    "
        out += self.comments.doc(path, f"`{info.full_name}`.", "")
        out += [
            f"public struct {name}: WireMessage, Hashable, Sendable {{",
            f"{indent}/// The full protobuf name.",
            f'{indent}public static let protoMessageName = "{info.full_name}"',
            "",
        ]
        # Properties in field order; a oneof at the place of its first member.
        members = []  # (label, Swift type, default)
        emitted_oneofs = set()
        for index, field in enumerate(fields):
            if field.in_oneof:
                oneof = oneofs[field.proto.oneof_index]
                if oneof["index"] in emitted_oneofs:
                    continue
                emitted_oneofs.add(oneof["index"])
                swift_type = f"{info.swift_name}.{oneof['type']}?"
                out += self.comments.doc(path + [8, oneof["index"]], f"The `{oneof['proto'].name}` oneof.", indent)
                out.append(f"{indent}public var {oneof['swift']}: {swift_type} = nil")
                members.append((oneof["swift"], swift_type, "nil"))
                continue
            out += self.comments.doc(path + [2, index], f"`{field.proto.name}` = {field.number}.", indent)
            out.append(f"{indent}public var {field.swift}: {field.swift_type()} = {field.swift_default()}")
            members.append((field.swift, field.swift_type(), field.swift_default()))
        out += [
            f"{indent}/// Fields this schema does not define, kept so that they survive a decode and re-encode.",
            f"{indent}public var unknownFields = UnknownFields()",
            "",
            f"{indent}/// The default message: every field at its proto3 default.",
            f"{indent}public init() {{}}",
            "",
        ]
        if members:
            out.append(f"{indent}/// A message with the given fields; the others keep their defaults.")
            parameters = [f"{label}: {swift_type} = {default}" for label, swift_type, default in members]
            one_line = f"{indent}public init({', '.join(parameters)}) {{"
            if len(one_line) <= LINE_WIDTH:
                out.append(one_line)
            else:
                out.append(f"{indent}public init(")
                out += [f"{indent}    {p}," for p in parameters[:-1]] + [f"{indent}    {parameters[-1]}"]
                out.append(f"{indent}) {{")
            for label, _, _ in members:
                out.append(f"{indent}    self.{label} = {label}")
            out += [f"{indent}}}", ""]
        out += [
            f"{indent}/// Decodes through protobuf-c; an empty buffer is the default message.",
            f"{indent}/// - Throws: `RPCError` with code INTERNAL when the bytes are not a valid encoding.",
            f"{indent}public init(wireBytes bytes: UnsafeRawBufferPointer) throws {{",
            f"{indent}    self = try ProtobufC.decode(bytes, initialize: {info.c_prefix}__init)",
            f"{indent}}}",
            "",
            f"{indent}/// Encodes through protobuf-c; empty for the default message.",
            f"{indent}public func wireBytes() -> [UInt8] {{",
            f"{indent}    ProtobufC.encode(self)",
            f"{indent}}}",
            "}",
        ]
        if info.parent is not None:  # a nested message is a nested type
            out = [f"extension {info.parent.swift_name} {{"] + [indent + l if l else l for l in out] + ["}"]
        self.types += out + [""]

    def _oneof_enum(self, info, oneof, path):
        out = self.types
        out += self.comments.doc(path + [8, oneof["index"]], f"The `{oneof['proto'].name}` oneof.", "    ")
        out.append(f"    public enum {oneof['type']}: Hashable, Sendable {{")
        for member in oneof["members"]:
            field_index = list(info.proto.field).index(member.proto)
            out += self.comments.doc(path + [2, field_index], f"`{member.proto.name}` = {member.number}.",
                                     "        ")
            out.append(f"        case {member.swift}({member.element_type()})")
        out += ["    }", ""]

    def _coding(self, info, fields, oneofs):
        out = self.coding
        out += [
            f"extension {info.swift_name}: ProtobufCCodable {{",
            f"    init(protobufC c: {info.c_type}) throws {{",
        ]
        for field in fields:
            if not field.in_oneof:
                out += field.decode_lines("        ")
        for oneof in oneofs:
            out.append(f"        switch c.{oneof['c']}_case.rawValue {{")
            for member in oneof["members"]:
                value = member.decode_value(f"c.{member.c}")
                statement = f"self.{oneof['swift']} = {try_prefix(member)}.{member.swift}({value})"
                line = f"        case {member.number}: {statement}"
                if len(line) <= LINE_WIDTH:
                    out.append(line)
                else:
                    out += [f"        case {member.number}:", f"            {statement}"]
            out += ["        default: break", "        }"]
        out += [
            "        self.unknownFields = UnknownFields(protobufC: c.base)",
            "    }",
            "",
            f"    func protobufC(_ arena: inout Arena) -> UnsafeMutablePointer<{info.c_type}> {{",
            f"        let c = arena.message({info.c_prefix}__init)",
        ]
        for field in fields:
            if not field.in_oneof:
                out += field.encode_lines("        ")
        for oneof in oneofs:
            out.append(f"        switch self.{oneof['swift']} {{")
            for member in oneof["members"]:
                out.append(f"        case .{member.swift}(let value)?:")
                out.append(f"            c.pointee.{oneof['c']}_case = .init(rawValue: {member.number})")
                out += member.encode_value_lines(f"c.pointee.{member.c}", "value", "            ", True)
            out += ["        case nil:", "            break", "        }"]
        out += [
            "        arena.setUnknownFields(self.unknownFields, of: &c.pointee.base)",
            "        return c",
            "    }",
            "}",
            "",
        ]


def descriptor_set_source(data, files):
    encoded = base64.b64encode(data).decode("ascii")
    width = 100
    lines = [encoded[i:i + width] for i in range(0, len(encoded), width)]
    out = [
        f"// Generated by {GENERATOR} from the FileDescriptorSet of these protos. Do not edit.",
    ]
    out += [f"//   {f.name}" for f in files]
    out += [
        "",
        "/// The serialized `google.protobuf.FileDescriptorSet` of every proto the server speaks, with their imports",
        "/// and source info, as `protoc --include_imports --include_source_info` wrote it; served by reflection.",
        "public enum EmbeddedDescriptorSet {",
        f"    /// The set's {len(data)} bytes, decoded on first use.",
        "    public static let bytes: [UInt8] = Base64.decode(base64)",
        "",
        "    private static let base64 = \"\"\"",
    ]
    out += ["        " + line for line in lines]
    out += ['        """', "}", ""]
    return "\n".join(out)


def output_name(proto_name):
    stem = proto_name[:-len(".proto")] if proto_name.endswith(".proto") else proto_name
    return stem.replace("/", "_").replace("-", "_") + ".pb.swift"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor-set", required=True, help="FileDescriptorSet from protoc --include_imports")
    parser.add_argument("--out", required=True, help="directory for the generated Swift files")
    args = parser.parse_args()

    with open(args.descriptor_set, "rb") as f:
        data = f.read()
    descriptor_set = descriptor_pb2.FileDescriptorSet()
    descriptor_set.ParseFromString(data)
    files = list(descriptor_set.file)
    registry = Registry(files)
    check_supported([f for f in files if f.name not in SKIPPED_FILES], registry)

    os.makedirs(args.out, exist_ok=True)
    outputs = {}
    for file in files:
        if file.name in SKIPPED_FILES:
            continue
        if not file.message_type and not file.enum_type:
            continue
        outputs[output_name(file.name)] = FileEmitter(file, registry).emit()
    outputs["DescriptorSet.swift"] = descriptor_set_source(data, files)
    for name in sorted(outputs):
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(outputs[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
