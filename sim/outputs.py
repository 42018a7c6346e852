"""Writing outputs so that no reader ever finds a half-written one.

A full disk, a quota or a yanked USB stick can stop a write part-way. A CSV cut off
mid-row still opens, and a results directory missing one table still looks like results,
so every output is written under a temporary name in the same directory and renamed into
place only when complete (a rename within one directory is atomic). When writing fails,
what was partly written is removed and an :class:`OutputError` says what could not be
written and why; the command line turns it into exit code 1 without a traceback.

Output locations are probed before any long computation (:func:`unwritable_file`,
:func:`unwritable_directory`), so a mistyped path is reported at once, not after an
hour of simulation.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: Prefix of every temporary name, so stray ones (after a power cut) are recognisable.
TEMP_PREFIX = ".clinicsim-"


class OutputError(Exception):
    """An output could not be written; nothing partial was left behind."""

    def __init__(self, target: Path | str, reason: str, hint: str = ""):
        self.target, self.reason, self.hint = target, reason, hint
        text = f"could not write {target}: {reason} (nothing partial was left)"
        super().__init__(f"{text}; {hint}" if hint else text)

    def with_hint(self, hint: str) -> "OutputError":
        """The same error with advice on what to do next."""
        return OutputError(self.target, self.reason, hint)


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def _temp_beside(path: Path, kind: str) -> Path:
    """A temporary name in ``path``'s directory that keeps its suffix, since some writers
    (matplotlib) choose the format from it."""
    return path.with_name(f"{TEMP_PREFIX}{kind}{os.getpid()}-{path.stem}{path.suffix}")


def _remove(path: Path) -> None:
    """Remove a file or directory tree if it exists; never raise (we are cleaning up)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _missing_parents(directory: Path) -> list[Path]:
    """The folders above and including ``directory`` that do not exist yet, outermost
    first, so they can be removed again if writing fails."""
    missing = []
    for folder in (directory, *directory.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing[::-1]


@contextmanager
def _created_folders(directory: Path, target: Path) -> Iterator[None]:
    """Create ``directory`` (and missing parents) and remove them again on failure."""
    created = _missing_parents(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        yield
    except BaseException as err:
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise OutputError(target, _reason(err)) from None
        raise


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it becomes ``path`` when the block ends
    without error and is removed otherwise (an OSError becomes :class:`OutputError`)."""
    path = Path(path)
    tmp = _temp_beside(path, "file")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        _remove(tmp)
        raise OutputError(path, _reason(err)) from None
    except BaseException:
        _remove(tmp)
        raise


@contextmanager
def atomic_files(directory: str | Path, names: list[str]) -> Iterator[Path]:
    """Yield a staging folder inside ``directory`` to write ``names`` (files or folders)
    into; they are moved into ``directory`` together when the block ends without error.
    On failure neither they nor a ``directory`` created for them are left behind."""
    directory = Path(directory)
    what = directory / names[0] if len(names) == 1 else f"{directory} ({', '.join(names)})"
    with _created_folders(directory, what):
        staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}staging-", dir=directory))
        try:
            yield staging
            missing = [n for n in names if not (staging / n).exists()]
            if missing:
                raise OutputError(directory / missing[0], "it was not produced")
            for name in names:
                os.replace(staging / name, directory / name)
        except OSError as err:
            raise OutputError(what, _reason(err)) from None
        finally:
            _remove(staging)


def replace_refusal(path: Path, marker: str) -> str | None:
    """Why an existing ``path`` may not be replaced by a new output directory, or None.
    Only an empty directory or an earlier output (one holding ``marker``) is replaced,
    so a mistyped ``--save .`` never deletes a user's own files."""
    if not path.exists():
        return None
    if not path.is_dir():
        return f"{path} exists and is not a directory"
    if (path / marker).exists() or not any(path.iterdir()):
        return None
    return (f"{path} is a directory with other files (no {marker}); choose a new or empty "
            "directory")


@contextmanager
def atomic_directory(path: str | Path, marker: str) -> Iterator[Path]:
    """Yield a temporary directory beside ``path``; it replaces ``path`` when the block
    ends without error (an earlier output there is removed only then) and is removed
    otherwise. ``marker`` names the file that shows an existing ``path`` is an earlier
    output of the same kind (see :func:`replace_refusal`)."""
    path = Path(path)
    refusal = replace_refusal(path, marker)
    if refusal:
        raise OutputError(path, refusal)
    with _created_folders(path.parent, path):
        tmp = _temp_beside(path, "dir")
        old = _temp_beside(path, "old")
        try:
            tmp.mkdir()
            yield tmp
            if path.exists():
                os.replace(path, old)
            os.replace(tmp, path)
        except OSError as err:
            if old.exists() and not path.exists():
                os.replace(old, path)  # put the earlier output back
            raise OutputError(path, _reason(err)) from None
        finally:
            _remove(tmp)
            _remove(old)


# --- checks before the work starts --------------------------------------------------------


def _probe(directory: Path) -> str | None:
    """Why no file can be created in ``directory``, or None. Creating one is the only
    reliable test: ``os.access`` says yes to root on read-only or virtual file systems."""
    try:
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}probe-", dir=directory)
    except OSError as err:
        return _reason(err)
    os.close(fd)
    os.unlink(name)
    return None


def unwritable_file(path: str | Path) -> tuple[str, str] | None:
    """(expected, found) if a file cannot be written at ``path``, else None. The file's
    directory must exist: a mistyped folder is more likely than a wish to create one."""
    path = Path(path)
    if path.is_dir():
        return "a file path, not a directory", str(path)
    parent = path.parent
    if not parent.is_dir():
        return ("a path in an existing directory (create the folder first, if it is not a "
                "typing mistake)", f"{path}, whose folder {parent} does not exist")
    reason = _probe(parent)
    return ("a writable file", f"{path} ({reason})") if reason else None


def unwritable_directory(path: str | Path, marker: str | None = None
                         ) -> tuple[str, str] | None:
    """(expected, found) if an output directory cannot be written at ``path`` (created
    with any missing parents), else None. With ``marker``, an existing directory must
    be replaceable (see :func:`replace_refusal`)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        return "a directory", f"{path} is a file"
    if marker is not None:
        refusal = replace_refusal(path, marker)
        if refusal:
            return "a new, empty or earlier output directory", refusal
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        return "a directory (or one that can be created)", f"{existing} is a file"
    reason = _probe(existing)
    if reason:
        return "a writable directory (or one that can be created)", f"{path} ({reason})"
    return None
