"""Which file names are videos, and the setting that adds extensions."""

from __future__ import annotations

import pytest

from stoat_ferret.extensions import (
    VIDEO_EXTENSIONS,
    ExtensionError,
    extension_of,
    normalize_extension,
    video_extensions,
)
from stoat_ferret.settings import Settings, SettingsError


def test_built_in_list() -> None:
    """The built-in list holds every container family editors meet, lower case with a dot."""
    expected = [
        "mp4", "m4v", "mov", "qt", "mkv", "webm", "avi", "wmv", "asf", "flv", "f4v", "ogv", "mxf",
        "mts", "m2ts", "ts", "m2t", "mpg", "mpeg", "m2v", "m1v", "vob", "3gp", "3g2", "dv", "y4m",
    ]  # fmt: skip
    assert {f".{e}" for e in expected} == VIDEO_EXTENSIONS


@pytest.mark.parametrize(
    ("text", "expected"),
    [("r3d", ".r3d"), (".BRAW", ".braw"), (" .Mxf ", ".mxf"), ("ARI", ".ari"), (".crm", ".crm")],
)
def test_normalize(text: str, expected: str) -> None:
    """Extensions are lower-cased and given their dot."""
    assert normalize_extension(text) == expected


@pytest.mark.parametrize(
    "text", ["", ".", "  ", "a/b", ".a\\b", "tar.gz", "a b", "x\0", "\t.r3d\n."]
)
def test_normalize_refuses_what_cannot_end_a_name(text: str) -> None:
    """Text that could not be a file name's extension is refused, naming it."""
    with pytest.raises(ExtensionError, match="not a file name extension"):
        normalize_extension(text)


def test_video_extensions_adds_extras() -> None:
    """Extras are added, normalised, to the built-in list."""
    assert video_extensions(["R3D", ".braw"]) == VIDEO_EXTENSIONS | {".r3d", ".braw"}
    assert video_extensions() == VIDEO_EXTENSIONS


@pytest.mark.parametrize(
    ("name", "expected"),
    [("CLIP.MXF", ".mxf"), ("a.tar.gz", ".gz"), ("README", ""), (".DS_Store", ""), ("a.", ".")],
)
def test_extension_of(name: str, expected: str) -> None:
    """A name's extension is its last suffix, lower case; none gives the empty string."""
    assert extension_of(name) == expected


def test_setting_from_the_environment() -> None:
    """STOAT_VIDEO_EXTENSIONS is a JSON list, normalised, duplicates dropped, order kept."""
    settings = Settings.from_env({"STOAT_VIDEO_EXTENSIONS": '[".R3D", "braw", "r3d"]'})
    assert settings.video_extensions == (".r3d", ".braw")
    assert settings.all_video_extensions == VIDEO_EXTENSIONS | {".r3d", ".braw"}


def test_setting_defaults_to_none_extra() -> None:
    """Unset or empty, the setting adds nothing."""
    assert Settings.from_env({}).all_video_extensions == VIDEO_EXTENSIONS
    assert Settings.from_env({"STOAT_VIDEO_EXTENSIONS": ""}).video_extensions == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (".r3d", 'must be a JSON list of extensions such as [".r3d", "braw"]'),
        ('".r3d"', 'must be a JSON list of extensions such as [".r3d", "braw"]'),
        ("[3]", 'must be a JSON list of extensions such as [".r3d", "braw"]'),
        ('["a/b"]', "not a file name extension: 'a/b'"),
        ('[""]', "not a file name extension: ''"),
    ],
)
def test_setting_refuses_bad_values(raw: str, message: str) -> None:
    """A malformed STOAT_VIDEO_EXTENSIONS is a SettingsError naming the variable and the fault."""
    with pytest.raises(SettingsError, match="STOAT_VIDEO_EXTENSIONS") as excinfo:
        Settings.from_env({"STOAT_VIDEO_EXTENSIONS": raw})
    assert message in str(excinfo.value)


def test_setting_in_code_takes_a_list_not_text() -> None:
    """Passing one string where a list belongs is refused rather than split into letters."""
    with pytest.raises(SettingsError, match="must be a JSON list of extensions"):
        Settings(video_extensions=".r3d")
    assert Settings(video_extensions=["MXF2"]).video_extensions == (".mxf2",)
