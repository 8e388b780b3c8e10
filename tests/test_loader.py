"""Tests for asl2durable.load.loader: load() never raises for bad input; discover() expands PATH arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl2durable.diagnostics import Diagnostic, Severity
from asl2durable.load.loader import Discovered, Loaded, discover, load, machine_name, unique_names

PASS = {
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "Result": {"a": 1}, "End": True}},
}

FIXTURES = Path(__file__).parent / "fixtures" / "cli"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def codes(loaded: Loaded) -> list[str]:
    return [d.code for d in loaded.diagnostics]


# --------------------------------------------------------------------------------------
# load: good input


def test_load_json_file(tmp_path):
    path = write(tmp_path / "orders.asl.json", json.dumps(PASS))
    loaded = load(path)
    assert loaded.definition == PASS
    assert loaded.diagnostics == []
    assert loaded.name == "orders"
    assert loaded.source == str(path)


def test_load_accepts_str_path(tmp_path):
    path = write(tmp_path / "orders.json", json.dumps(PASS))
    loaded = load(str(path))
    assert loaded.definition == PASS
    assert loaded.source == str(path)
    assert loaded.name == "orders"


def test_load_yaml_file():
    loaded = load(FIXTURES / "task.asl.yaml")
    assert loaded.diagnostics == []
    assert loaded.name == "task"
    assert loaded.definition == {
        "StartAt": "Echo",
        "States": {
            "Echo": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo",
                "End": True,
            }
        },
    }


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_load_yaml_file_containing_json(tmp_path, suffix):
    # JSON with a tab, which YAML does not accept as indentation
    path = write(tmp_path / f"m{suffix}", '{\n\t"StartAt": "P",\n\t"States": {"P": {"Type": "Succeed"}}\n}')
    loaded = load(path)
    assert loaded.diagnostics == []
    assert loaded.definition == {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}


def test_load_yaml_keeps_timestamps_as_strings(tmp_path):
    path = write(
        tmp_path / "m.yaml",
        "StartAt: W\nStates:\n  W:\n    Type: Wait\n    Timestamp: 2024-03-14T01:59:26Z\n    End: true\n",
    )
    loaded = load(path)
    assert loaded.definition["States"]["W"]["Timestamp"] == "2024-03-14T01:59:26Z"
    json.dumps(loaded.definition)  # plain JSON data


def test_load_yaml_is_safe(tmp_path):
    path = write(tmp_path / "evil.yaml", "a: !!python/object/apply:os.system ['echo pwned']\n")
    loaded = load(path)
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]


def test_load_json_with_utf8_bom(tmp_path):
    path = write(tmp_path / "bom.json", b"\xef\xbb\xbf" + json.dumps(PASS).encode())
    assert load(path).definition == PASS


def test_load_dict_as_is():
    loaded = load(PASS)
    assert loaded.definition is PASS
    assert loaded.source == "<dict>"
    assert loaded.name == "state_machine"
    assert loaded.diagnostics == []


def test_load_json_text():
    loaded = load(json.dumps(PASS))
    assert loaded.definition == PASS
    assert loaded.source == "<text>"
    assert loaded.name == "state_machine"


def test_load_json_text_with_leading_whitespace():
    assert load("\n  " + json.dumps(PASS)).definition == PASS


def test_load_name_override(tmp_path):
    path = write(tmp_path / "orders.json", json.dumps(PASS))
    assert load(path, name="orders-2").name == "orders-2"
    assert load(PASS, name="x").name == "x"


# --------------------------------------------------------------------------------------
# load: bad input gives diagnostics, never exceptions


def test_malformed_json_file():
    loaded = load(FIXTURES / "malformed.json")
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]
    d = loaded.diagnostics[0]
    assert d.severity is Severity.ERROR
    assert d.pointer == ""
    assert "line" in d.message and "column" in d.message


def test_malformed_json_reports_position(tmp_path):
    path = write(tmp_path / "m.json", '{\n  "StartAt": "P",\n  "States": {"P": {"Type": "Pass" "End": true}}\n}')
    (d,) = load(path).diagnostics
    assert d.code == "INVALID_JSON_DESCRIPTION"
    assert "line 3" in d.message


def test_malformed_yaml_file(tmp_path):
    path = write(tmp_path / "m.yaml", "StartAt: P\nStates:\n  P: {Type: Pass\n  Q: [\n")
    loaded = load(path)
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]
    assert "line" in loaded.diagnostics[0].message


def test_malformed_json_text():
    loaded = load('{"StartAt": ')
    assert loaded.definition is None
    assert loaded.source == "<text>"
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}'])
def test_json_constants_that_are_not_json(tmp_path, text):
    loaded = load(write(tmp_path / "m.json", text))
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]


def test_deeply_nested_json_does_not_raise(tmp_path):
    loaded = load(write(tmp_path / "deep.json", "[" * 200_000 + "]" * 200_000))
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]


@pytest.mark.parametrize(
    "text",
    [
        "a: !!binary aGVsbG8=\n",  # bytes
        "yes: 1\n",  # a boolean key (YAML 1.1)
        "1: x\n",  # an integer key
        "a: .nan\n",
        "a: &x [*x]\n",  # a cycle
    ],
)
def test_yaml_that_is_not_json_data(tmp_path, text):
    loaded = load(write(tmp_path / "m.yaml", text))
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]


@pytest.mark.parametrize(
    "text, kind",
    [("[1, 2]", "array"), ('"hello"', "string"), ("42", "number"), ("null", "null"), ("true", "boolean")],
)
def test_top_level_not_an_object(tmp_path, text, kind):
    loaded = load(write(tmp_path / "m.json", text))
    assert loaded.definition is None
    (d,) = loaded.diagnostics
    assert d.code == "INVALID_JSON_DESCRIPTION"
    assert d.message.startswith("Definition must be a JSON object")
    assert kind in d.message


def test_empty_yaml_is_not_an_object(tmp_path):
    loaded = load(write(tmp_path / "m.yaml", "# nothing\n"))
    assert loaded.definition is None
    assert loaded.diagnostics[0].message.startswith("Definition must be a JSON object")


def test_empty_json_file(tmp_path):
    loaded = load(write(tmp_path / "m.json", ""))
    assert loaded.definition is None
    assert codes(loaded) == ["INVALID_JSON_DESCRIPTION"]


def test_missing_file(tmp_path):
    loaded = load(tmp_path / "nope.json")
    assert loaded.definition is None
    assert codes(loaded) == ["INPUT_NOT_READABLE"]
    assert loaded.name == "nope"


def test_missing_file_as_str(tmp_path):
    loaded = load(str(tmp_path / "nope.json"))
    assert codes(loaded) == ["INPUT_NOT_READABLE"]


def test_directory_is_not_readable(tmp_path):
    loaded = load(tmp_path)
    assert loaded.definition is None
    assert codes(loaded) == ["INPUT_NOT_READABLE"]


def test_not_utf8(tmp_path):
    loaded = load(write(tmp_path / "latin1.json", '{"Comment": "caf\xe9"}'.encode("latin-1")))
    assert loaded.definition is None
    assert codes(loaded) == ["INPUT_NOT_READABLE"]


def test_permission_denied_via_monkeypatch(tmp_path, monkeypatch):
    # Runs even as root: simulate the OS refusing the read.
    path = write(tmp_path / "secret.json", json.dumps(PASS))

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    loaded = load(path)
    assert loaded.definition is None
    assert codes(loaded) == ["INPUT_NOT_READABLE"]


def test_unsupported_source_type():
    loaded = load(42)  # type: ignore[arg-type]
    assert loaded.definition is None
    assert codes(loaded) == ["INPUT_NOT_READABLE"]


# --------------------------------------------------------------------------------------
# load: duplicate keys (json.loads and YAML would silently keep the last one)


def test_duplicate_state_name_json(tmp_path):
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}'
    loaded = load(write(tmp_path / "dup.json", text))
    assert loaded.definition is not None
    assert [(d.code, d.pointer) for d in loaded.diagnostics] == [("DUPLICATE_STATE_NAME", "/States/A")]
    assert loaded.diagnostics[0].severity is Severity.ERROR


def test_duplicate_key_yaml(tmp_path):
    text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Type: Succeed\n"
    loaded = load(write(tmp_path / "dup.yaml", text))
    assert [(d.code, d.pointer) for d in loaded.diagnostics] == [("INVALID_JSON_DESCRIPTION", "/States/A/Type")]


def test_yaml_merge_key_override_is_not_a_duplicate(tmp_path):
    text = "base: &b {Type: Pass, End: true}\nStartAt: A\nStates:\n  A:\n    <<: *b\n    Type: Succeed\n"
    loaded = load(write(tmp_path / "merge.yaml", text))
    assert loaded.diagnostics == []
    assert loaded.definition["States"]["A"] == {"Type": "Succeed", "End": True}


# --------------------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    "filename, name",
    [
        ("orders.asl.json", "orders"),
        ("orders.json", "orders"),
        ("orders.asl.yaml", "orders"),
        ("orders.yml", "orders"),
        ("Orders.ASL.JSON", "Orders"),
        ("my machine (v2).json", "my_machine__v2_"),
        ("order.v2.json", "order.v2"),
        ("..json", "state_machine"),
        (".hidden.json", "hidden"),
        ("café.json", "caf_"),
        ("x" * 300 + ".json", "x" * 100),
    ],
)
def test_machine_name(filename, name):
    assert machine_name(filename) == name


def test_names_are_folder_safe():
    for weird in ["../../etc/passwd.json", "a/b\\c.json", "con:x.json", "...json"]:
        name = machine_name(weird)
        assert name and name not in {".", ".."}
        assert all(c.isalnum() or c in "_.-" for c in name)


def test_unique_names():
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a-2", "a-3"]
    # a name another input has in its own right is not handed out as a suffix
    assert unique_names(["a", "a", "a-2"]) == ["a", "a-3", "a-2"]
    # case-insensitive file systems
    assert unique_names(["Orders", "orders"]) == ["Orders", "orders-2"]


# --------------------------------------------------------------------------------------
# discover


def machine(tmp_path: Path, rel: str, definition: object = PASS) -> Path:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return write(tmp_path / rel, text)


def active(items: list[Discovered]) -> list[Discovered]:
    return [i for i in items if not i.skipped]


def test_discover_file_as_given(tmp_path):
    path = machine(tmp_path, "machine.txt")  # files given explicitly are taken whatever their suffix
    (item,) = discover([path])
    assert item.source == path
    assert item.name == "machine"
    assert not item.skipped


def test_discover_folder_recursively_in_sorted_order(tmp_path):
    machine(tmp_path, "b.asl.json")
    machine(tmp_path, "a.json")
    machine(tmp_path, "sub/c.yaml", "StartAt: P\nStates: {P: {Type: Succeed}}\n")
    machine(tmp_path, "sub/deeper/d.yml", "StartAt: P\nStates: {P: {Type: Succeed}}\n")
    machine(tmp_path, "A_upper.asl.yaml", "StartAt: P\nStates: {P: {Type: Succeed}}\n")
    write(tmp_path / "notes.txt", "not picked up")
    write(tmp_path / "handler.py", "not picked up")
    machine(tmp_path, ".hidden/e.json")
    machine(tmp_path, ".f.json")

    items = discover([tmp_path])
    rel = [i.source.relative_to(tmp_path).as_posix() for i in items]
    assert rel == ["A_upper.asl.yaml", "a.json", "b.asl.json", "sub/c.yaml", "sub/deeper/d.yml"]
    assert [i.name for i in items] == ["A_upper", "a", "b", "c", "d"]
    assert discover([tmp_path]) == items  # deterministic


def test_discover_skips_non_state_machine_files(tmp_path):
    machine(tmp_path, "good.json")
    machine(tmp_path, "package.json", {"name": "x", "version": "1.0.0"})
    machine(tmp_path, "list.json", [1, 2, 3])
    machine(tmp_path, "states_only.json", {"States": {}})  # has States: kept, validation will complain
    machine(tmp_path, "config.yaml", "setting: true\n")

    items = discover([tmp_path])
    by_file = {i.source.name: i for i in items}
    assert set(by_file) == {"good.json", "package.json", "list.json", "states_only.json", "config.yaml"}
    assert {n for n, i in by_file.items() if i.skipped} == {"package.json", "list.json", "config.yaml"}
    for name in ("package.json", "list.json", "config.yaml"):
        assert by_file[name].reason
    assert not by_file["good.json"].skipped and by_file["good.json"].reason is None


def test_discover_keeps_malformed_and_unreadable_files_in_folders(tmp_path):
    # They are probably broken state machines: loading them reports the problem.
    write(tmp_path / "broken.json", '{"StartAt": ')
    write(tmp_path / "latin1.json", '{"Comment": "caf\xe9"}'.encode("latin-1"))
    items = discover([tmp_path])
    assert [(i.source.name, i.skipped) for i in items] == [("broken.json", False), ("latin1.json", False)]
    assert codes(load(items[0].source)) == ["INVALID_JSON_DESCRIPTION"]


TSCONFIG = """{
  // TypeScript settings: JSON with comments and trailing commas
  "compilerOptions": {"strict": true, "outDir": "dist/", /* "http://x" is a string */},
}
"""


def test_discover_skips_json_with_comments_in_folders(tmp_path):
    write(tmp_path / "tsconfig.json", TSCONFIG)
    # a state machine with a comment is kept: loading it reports the comment
    write(tmp_path / "commented.asl.json", '{"StartAt": "P", // first\n "States": {"P": {"Type": "Succeed"}}}')
    items = discover([tmp_path])
    by_file = {i.source.name: i for i in items}
    assert by_file["tsconfig.json"].skipped
    assert by_file["tsconfig.json"].reason == "JSON with comments, not a state machine"
    assert not by_file["commented.asl.json"].skipped
    assert codes(load(by_file["commented.asl.json"].source)) == ["INVALID_JSON_DESCRIPTION"]
    # given explicitly (here as well as by its folder), it is loaded and gets its diagnostic
    explicit = {i.source.name: i for i in discover([tmp_path, tmp_path / "tsconfig.json"])}
    assert not explicit["tsconfig.json"].skipped
    assert codes(load(tmp_path / "tsconfig.json")) == ["INVALID_JSON_DESCRIPTION"]


SFN_TEMPLATE_YAML = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: P
        States:
          P: {Type: Succeed}
"""


@pytest.mark.parametrize("text", [SFN_TEMPLATE_YAML, None], ids=["yaml", "json"])
def test_dot_template_file_is_read_as_a_template_by_content(tmp_path, text):
    if text is None:
        text = json.dumps({"Resources": {"Flow": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": PASS}}}})
    path = write(tmp_path / "stack.template", text)
    loaded = load(path)
    assert loaded.diagnostics == []
    assert loaded.resource == "Flow" and loaded.name == "stack-Flow"
    assert loaded.definition["StartAt"] == "P"
    # a folder walk picks it up too, named <file stem>-<logical ID>, its rewrite in <file stem>
    (item,) = discover([tmp_path])
    assert (item.source, item.resource, item.name, item.group) == (path, "Flow", "stack-Flow", "stack")


def test_discover_skips_dot_template_files_that_are_not_templates(tmp_path):
    write(tmp_path / "page.template", "<html>{{ title }}: {% block %}</html>\n")
    write(tmp_path / "notes.template", "Dear {name},\n")
    items = discover([tmp_path])
    assert [(i.source.name, i.skipped) for i in items] == [("notes.template", True), ("page.template", True)]
    assert all(i.reason for i in items)


def test_discover_explicit_file_is_not_skipped(tmp_path):
    path = machine(tmp_path, "package.json", {"name": "x"})
    (item,) = discover([path])
    assert not item.skipped


def test_discover_explicit_file_overrides_folder_skip(tmp_path):
    path = machine(tmp_path, "package.json", {"name": "x"})
    for args in ([tmp_path, path], [path, tmp_path]):
        (item,) = discover(args)
        assert not item.skipped


def test_discover_name_collisions(tmp_path):
    machine(tmp_path, "a/orders.asl.json")
    machine(tmp_path, "b/orders.json")
    machine(tmp_path, "c/orders.yaml", "StartAt: P\nStates: {P: {Type: Succeed}}\n")
    items = discover([tmp_path])
    assert [i.name for i in items] == ["orders", "orders-2", "orders-3"]
    # same result whatever the argument order
    again = discover([tmp_path / "c", tmp_path / "a", tmp_path / "b"])
    assert [(i.source, i.name) for i in again] == [(i.source, i.name) for i in items]


def test_discover_collision_does_not_steal_existing_name(tmp_path):
    machine(tmp_path, "a/orders.json")
    machine(tmp_path, "b/orders.json")
    machine(tmp_path, "c/orders-2.json")
    names = {i.source.relative_to(tmp_path).as_posix(): i.name for i in discover([tmp_path])}
    assert names == {"a/orders.json": "orders", "b/orders.json": "orders-3", "c/orders-2.json": "orders-2"}


def test_discover_skipped_files_take_no_name(tmp_path):
    machine(tmp_path, "a/orders.json", {"not": "a state machine"})
    machine(tmp_path, "b/orders.json")
    items = active(discover([tmp_path]))
    assert [i.name for i in items] == ["orders"]


def test_discover_removes_duplicates(tmp_path):
    path = machine(tmp_path, "m.json")
    items = discover([tmp_path, path, str(path)])
    assert len(items) == 1
    assert items[0].name == "m"


def test_discover_missing_path_raises(tmp_path):
    machine(tmp_path, "m.json")
    with pytest.raises(FileNotFoundError) as info:
        discover([tmp_path, tmp_path / "missing.json"])
    assert "missing.json" in str(info.value)


def test_discover_inline_json_text(tmp_path):
    path = machine(tmp_path, "state_machine.json")
    text = json.dumps(PASS)
    items = discover([text, path])
    assert [(i.is_text, i.name) for i in items] == [(False, "state_machine"), (True, "state_machine-2")]
    assert items[1].source == text
    assert items[1].display == "<text>"
    assert load(items[1].source).definition == PASS


def test_discover_empty_folder(tmp_path):
    assert discover([tmp_path]) == []


# --------------------------------------------------------------------------------------
# positions: Loaded.locate puts each diagnostic's pointer at FILE:LINE:COLUMN


def where(loaded: Loaded, ptr: str, *, in_definition: bool = True) -> str | None:
    (d,) = loaded.locate([Diagnostic(ptr, "CODE", "message")], in_definition=in_definition)
    return str(d.position) if d.position else None


JSON_TEXT = """{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Result": {"q\\"uote": [1, {"x/y": "}]"}, 3]}, "Next": "B"},
    "B": {
      "Type": "Succeed"
    }
  }
}
"""


def test_positions_in_a_json_file(tmp_path):
    path = tmp_path / "m.asl.json"
    path.write_text(JSON_TEXT, encoding="utf-8")
    loaded = load(path)
    assert where(loaded, "") == f"{path}:1:1"
    assert where(loaded, "/StartAt") == f"{path}:2:3"  # a member: where its key starts
    assert where(loaded, "/States/B") == f"{path}:5:5"
    assert where(loaded, "/States/B/Type") == f"{path}:6:7"
    line = JSON_TEXT.splitlines()[3]

    def on_line_4(text: str) -> str:
        return f"{path}:4:{line.index(text) + 1}"

    assert where(loaded, "/States/A/Next") == on_line_4('"Next"')
    # escaped keys and strings that hold brackets; an array's item: where its value starts
    assert where(loaded, '/States/A/Result/q"uote/1/x~1y') == on_line_4('"x/y"')
    assert where(loaded, '/States/A/Result/q"uote/2') == on_line_4("3]")
    # not in the text: the nearest enclosing value that is
    assert where(loaded, "/States/B/End") == f"{path}:5:5"
    assert where(loaded, "/States/A/Result/nope/0") == on_line_4('"Result"')


def test_positions_in_a_yaml_file_and_json_text_in_a_yaml_file(tmp_path):
    text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Parameters:\n      list:\n        - 1\n        - {k: v}\n    End: true\n"
    path = tmp_path / "m.asl.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load(path)
    assert where(loaded, "/States/A/End") == f"{path}:9:5"
    assert where(loaded, "/States/A/Parameters/list/1/k") == f"{path}:8:12"
    as_json = tmp_path / "j.asl.yaml"
    as_json.write_text('{"StartAt": "A",\n\t"States": {"A": {"Type": "Succeed"}}}', encoding="utf-8")  # a tab: not YAML
    assert where(load(as_json), "/States/A/Type") == f"{as_json}:2:19"


def test_positions_follow_yaml_merge_keys(tmp_path):
    text = "StartAt: A\nStates:\n  A:\n    <<: &base\n      Type: Pass\n    End: true\n  B:\n    <<: *base\n    End: true\n"
    path = tmp_path / "m.asl.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load(path)
    assert where(loaded, "/States/B/Type") == f"{path}:5:7"  # written once, in A's anchor
    assert where(loaded, "/States/B/End") == f"{path}:9:5"


def test_positions_in_a_template(tmp_path):
    (tmp_path / "machine.asl.json").write_text('{"StartAt": "A",\n "States": {"A": {"Type": "Succeed"}}}', encoding="utf-8")
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Inline:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Definition:\n"
        "        StartAt: A\n"
        "        States:\n"
        "          A: {Type: Succeed}\n"
        "  FromFile:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      DefinitionUri: machine.asl.json\n"
        "  FromString:\n"
        "    Type: AWS::StepFunctions::StateMachine\n"
        "    Properties:\n"
        '      DefinitionString: \'{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}\'\n',
        encoding="utf-8",
    )
    inline = load(template, resource="Inline")
    assert where(inline, "/States/A/Type") == f"{template}:8:15"  # definition pointers: in the Definition
    assert where(inline, "/Resources/FromFile", in_definition=False) == f"{template}:9:3"  # the template's own
    assert where(load(template, resource="FromFile"), "/States/A") == f"{tmp_path / 'machine.asl.json'}:2:13"
    assert where(load(template, resource="FromString"), "/States/A") is None  # a string holds it


def test_no_positions_without_text(tmp_path):
    assert where(load({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}), "/States/A") is None
    deep = "[" * 100_000 + "]" * 100_000  # refused by the loader: not indexed either (that would take minutes)
    for name, text in [
        ("empty.yaml", ""), ("bad.json", '{"StartAt": '), ("bad.yaml", "a: ["), ("deep.json", deep), ("deep.yaml", "a: " + deep),
    ]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert where(load(tmp_path / name), "", in_definition=False) is None
    assert where(load('{"StartAt": "A",\n"States": {"A": {"Type": "Succeed"}}}'), "/States/A") == "<text>:2:12"


def test_positions_are_not_pickled_with_their_index(tmp_path):
    import pickle

    path = tmp_path / "m.asl.json"
    path.write_text(JSON_TEXT, encoding="utf-8")
    loaded = load(path)
    assert where(loaded, "/States/B") == f"{path}:5:5"
    assert loaded.text is not None and loaded.text._index is not None
    copy = pickle.loads(pickle.dumps(loaded))
    assert copy.text._index is None
    assert where(copy, "/States/B") == f"{path}:5:5"


@pytest.mark.parametrize("uri", ["statemachine/orders.asl.json", "StateMachine/Orders.ASL.json"])
def test_definition_uri_differing_from_the_file_only_by_case_is_an_error_naming_both(tmp_path, uri):
    write(tmp_path / "statemachine" / "Orders.asl.json", json.dumps(PASS))
    template = write(
        tmp_path / "template.yaml",
        f"Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: {uri}\n",
    )
    loaded = load(template)
    assert loaded.definition is None
    (d,) = loaded.diagnostics
    assert (d.code, d.pointer) == ("INPUT_NOT_READABLE", "/Resources/M/Properties/DefinitionUri")
    assert uri in d.message and "statemachine/Orders.asl.json" in d.message
    # spelt as on disk, it loads
    template.write_text(template.read_text().replace(uri, "statemachine/Orders.asl.json"))
    assert load(template).diagnostics == []
