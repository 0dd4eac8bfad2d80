"""The build backend of anasod-trainer: setuptools's, or the standard library where setuptools cannot build.

setuptools before 70.1 makes wheels only with the separate `wheel` package, and the setuptools that
`python3 -m venv` puts in a new environment (Python 3.11 and older) comes without it: there
`pip install --no-build-isolation ./python` would fail, offline for good. So this backend hands every hook
to ``setuptools.build_meta`` when setuptools (61 or later) can build a wheel, and otherwise writes the
package's pure-Python wheel, metadata, editable wheel and sdist itself with zipfile and tarfile. Both read
the same ``[project]`` table of pyproject.toml. (PEP 517 hooks; pyproject.toml names this module with
``backend-path``.)
"""

import base64
import hashlib
import importlib
import io
import os
import re
import tarfile
import time
import zipfile
from typing import Any, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "anasod_trainer"
TAG = "py3-none-any"


def _setuptools() -> Any:
    """setuptools.build_meta when it can build this project's wheel, else None."""
    try:
        setuptools = importlib.import_module("setuptools")
        build_meta = importlib.import_module("setuptools.build_meta")
    except ImportError:
        return None
    try:
        if int(str(setuptools.__version__).split(".")[0]) < 61:  # no [project] table before 61
            return None
    except ValueError:
        return None
    for module in ("setuptools.command.bdist_wheel", "wheel.bdist_wheel"):  # setuptools >= 70.1, else `wheel`
        try:
            importlib.import_module(module)
            return build_meta
        except ImportError:
            pass
    return None


SETUPTOOLS = _setuptools()


# ---------------------------------------------------------------------------- the standard-library builder

def _project() -> Dict[str, Any]:
    """pyproject.toml's [project] table (tomllib where there is one, else its simple key = value lines)."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        data = f.read()
    try:
        tomllib = importlib.import_module("tomllib")  # Python 3.11+
        return dict(tomllib.loads(data.decode("utf-8"))["project"])
    except ImportError:
        pass
    project: Dict[str, Any] = {}
    section = ""
    lines = data.decode("utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section == "project" and "=" in line:
            key, _, value = (part.strip() for part in line.partition("="))
            if value.startswith("[") and not value.endswith("]"):
                while i < len(lines) and not value.endswith("]"):
                    value += lines[i].strip()
                    i += 1
            if value.startswith("["):
                project[key] = re.findall(r'"([^"]*)"', value)
            else:
                project[key] = value.strip('"')
    return project


def _names() -> Tuple[Dict[str, Any], str, str]:
    project = _project()
    name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    return project, name, f"{name}-{project['version']}"


def _metadata() -> str:
    project, _, _ = _names()
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    readme = project.get("readme")
    body = ""
    if isinstance(readme, str) and os.path.exists(os.path.join(ROOT, readme)):
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _wheel_file() -> str:
    return f"Wheel-Version: 1.0\nGenerator: anasod_build\nRoot-Is-Purelib: true\nTag: {TAG}\n"


def _package_files() -> List[Tuple[str, str]]:
    """(path in the wheel, path here) of the package's files."""
    files = []
    for folder, dirs, names in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                path = os.path.join(folder, name)
                files.append((os.path.relpath(path, ROOT).replace(os.sep, "/"), path))
    return files


def _write_wheel(directory: str, contents: List[Tuple[str, bytes]]) -> str:
    _, name, stem = _names()
    dist_info = f"{stem}.dist-info"
    contents = contents + [(f"{dist_info}/METADATA", _metadata().encode("utf-8")),
                           (f"{dist_info}/WHEEL", _wheel_file().encode("utf-8")),
                           (f"{dist_info}/top_level.txt", f"{PACKAGE}\n".encode("utf-8"))]
    record = []
    for path, data in contents:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    contents.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    filename = f"{stem}-{TAG}.whl"
    stamp = time.gmtime(max(315532800, int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))))[:6]
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return filename


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _prepare_metadata(metadata_directory: str) -> str:
    _, _, stem = _names()
    dist_info = os.path.join(metadata_directory, f"{stem}.dist-info")
    os.makedirs(dist_info, exist_ok=True)
    for filename, text in (("METADATA", _metadata()), ("WHEEL", _wheel_file()), ("top_level.txt", PACKAGE + "\n")):
        with open(os.path.join(dist_info, filename), "w", encoding="utf-8") as f:
            f.write(text)
    return os.path.basename(dist_info)


def _build_wheel(wheel_directory: str) -> str:
    return _write_wheel(wheel_directory, [(path, _read(source)) for path, source in _package_files()])


def _build_editable(wheel_directory: str) -> str:
    return _write_wheel(wheel_directory, [(f"__editable__.{PACKAGE}.pth", (ROOT + "\n").encode("utf-8"))])


def _build_sdist(sdist_directory: str) -> str:
    _, _, stem = _names()
    filename = f"{stem}.tar.gz"
    members = [("PKG-INFO", _metadata().encode("utf-8"))]
    for top in ("pyproject.toml", "README.md", PACKAGE, "_backend", "tests"):
        path = os.path.join(ROOT, top)
        if os.path.isfile(path):
            members.append((top, _read(path)))
        for folder, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(n for n in names if not n.endswith((".pyc", ".pyo"))):
                file = os.path.join(folder, name)
                members.append((os.path.relpath(file, ROOT).replace(os.sep, "/"), _read(file)))
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, data in members:
            info = tarfile.TarInfo(f"{stem}/{path}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return filename


# ------------------------------------------------------------------------------------------ PEP 517 hooks

def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    """What building a wheel needs beyond this backend (setuptools's answer where it builds)."""
    return list(SETUPTOOLS.get_requires_for_build_wheel(config_settings)) if SETUPTOOLS else []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    """What building an sdist needs beyond this backend."""
    return list(SETUPTOOLS.get_requires_for_build_sdist(config_settings)) if SETUPTOOLS else []


def get_requires_for_build_editable(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    """What building an editable wheel needs beyond this backend."""
    if SETUPTOOLS and hasattr(SETUPTOOLS, "get_requires_for_build_editable"):
        return list(SETUPTOOLS.get_requires_for_build_editable(config_settings))
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    """Writes the .dist-info folder into `metadata_directory`; returns its name."""
    if SETUPTOOLS:
        return str(SETUPTOOLS.prepare_metadata_for_build_wheel(metadata_directory, config_settings))
    return _prepare_metadata(metadata_directory)


def prepare_metadata_for_build_editable(metadata_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    """Writes the .dist-info folder of an editable install into `metadata_directory`; returns its name."""
    if SETUPTOOLS and hasattr(SETUPTOOLS, "prepare_metadata_for_build_editable"):
        return str(SETUPTOOLS.prepare_metadata_for_build_editable(metadata_directory, config_settings))
    return _prepare_metadata(metadata_directory)


def build_wheel(wheel_directory: str, config_settings: Optional[Dict[str, Any]] = None,
                metadata_directory: Optional[str] = None) -> str:
    """Builds the wheel into `wheel_directory`; returns its file name."""
    if SETUPTOOLS:
        return str(SETUPTOOLS.build_wheel(wheel_directory, config_settings, metadata_directory))
    return _build_wheel(wheel_directory)


def build_editable(wheel_directory: str, config_settings: Optional[Dict[str, Any]] = None,
                   metadata_directory: Optional[str] = None) -> str:
    """Builds an editable wheel (a .pth file naming this folder) into `wheel_directory` (PEP 660)."""
    if SETUPTOOLS and hasattr(SETUPTOOLS, "build_editable"):
        return str(SETUPTOOLS.build_editable(wheel_directory, config_settings, metadata_directory))
    return _build_editable(wheel_directory)


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    """Builds the source archive into `sdist_directory`; returns its file name."""
    if SETUPTOOLS:
        return str(SETUPTOOLS.build_sdist(sdist_directory, config_settings))
    return _build_sdist(sdist_directory)
