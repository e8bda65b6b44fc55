#!/usr/bin/env python3
"""Records the output of the examples in docs/*.md.

Every fenced block whose info string is `aslsh` is part of its page's example session: cells
(one per line) followed by the output they print, as `#> ` lines (`#~ ` for volatile lines such
as timings), exactly like a session saved with `:save`. All `aslsh` blocks of one page run in
order as one session, in a fresh empty folder (so never in the checkout), with seed 42.

A page whose example needs input files names them in a comment before its first block:

    <!-- example-inputs: data/raw/photos=realdata/asl_alphabet_photos_224/test -->

Each DEST=SOURCE pair links SOURCE, a path inside the shared real-data folder (`../shared`
beside the checkout, or $ASLSH_SHARED), to DEST in the example folder. The test suite
(Tests/ShellTests/DocExamplesTests.swift) runs the same sessions with `aslsh --check` and fails
when a page's printed output no longer matches its text.

usage: scripts/doc-examples.py [--aslsh PATH] PAGE.md…   re-record these pages' outputs in place
       scripts/doc-examples.py [--aslsh PATH] SESSION.aslsh…   re-record saved sessions in place
           (run from the repository root, as the test suite replays them; comments and
           `# check:` / `#! check` lines are kept, every cell's output is replaced)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```aslsh[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
INPUTS = re.compile(r"<!--\s*example-inputs:(.*?)-->", re.S)


def is_output(line):
    return line.startswith("#>") or line.startswith("#~")


def cells_of(block):
    return [line for line in block.splitlines() if line.strip() and not is_output(line)]


def shared_folder(repository):
    if os.environ.get("ASLSH_SHARED"):
        return os.environ["ASLSH_SHARED"]
    return os.path.join(os.path.dirname(repository), "shared")


def prepare(folder, page_text, shared):
    match = INPUTS.search(page_text)
    if not match:
        return
    for pair in match.group(1).split():
        dest, source = pair.split("=", 1)
        target = os.path.join(shared, source)
        if not os.path.exists(target):
            sys.exit(f"{source}: not in {shared} (the example needs the shared real data)")
        path = os.path.join(folder, dest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)


def saved_outputs(saved_text):
    """The saved transcript's cells with their output lines, in order."""
    entries = []
    for line in saved_text.splitlines()[2:]:
        if not line.strip() and not entries:
            continue
        if is_output(line):
            entries[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            entries.append((line, []))
    return entries


def run_and_save(name, cells, aslsh, folder):
    """Runs the cells as one session in `folder`, saves it, and returns the run and the saved
    (cell, output lines) pairs, which must be the cells given."""
    with tempfile.TemporaryDirectory(prefix="aslsh-save-") as scratch:
        saved = os.path.join(scratch, "recorded.aslsh")
        script = "\n".join(cells + [f":save {saved}", ""])
        run = subprocess.run([aslsh, "--keep-going"], input=script, text=True, cwd=folder, capture_output=True)
        if not os.path.exists(saved):
            sys.exit(f"{name}: the session did not save:\n{run.stdout}{run.stderr}")
        entries = saved_outputs(open(saved, encoding="utf-8").read())
    if [source for source, _ in entries] != cells:
        sys.exit(f"{name}: the saved session's cells differ from the file's:\n{entries}\n{cells}")
    return run, entries


def record(page, aslsh, repository):
    text = open(page, encoding="utf-8").read()
    blocks = list(FENCE.finditer(text))
    if not blocks:
        print(f"{page}: no aslsh examples")
        return
    cells = [cell for block in blocks for cell in cells_of(block.group(1))]
    with tempfile.TemporaryDirectory(prefix="aslsh-doc-") as folder:
        prepare(folder, text, shared_folder(repository))
        run, entries = run_and_save(page, cells, aslsh, folder)
    pieces, position, index = [], 0, 0
    for block in blocks:
        count = len(cells_of(block.group(1)))
        body = []
        for source, output in entries[index:index + count]:
            body += [source] + output
        index += count
        pieces += [text[position:block.start(1)], "\n".join(body) + "\n"]
        position = block.end(1)
    pieces.append(text[position:])
    open(page, "w", encoding="utf-8").write("".join(pieces))
    print(f"{page}: recorded {len(cells)} cells in {len(blocks)} blocks")
    if run.returncode != 0:
        print(f"{page}: note: aslsh exited {run.returncode}:\n{run.stderr}", file=sys.stderr)


def record_session(path, aslsh, repository):
    lines = open(path, encoding="utf-8").read().split("\n")
    body_start = next(i for i, line in enumerate(lines) if i > 0 and not line.startswith("#"))
    cells = [line for line in lines[body_start:] if line.strip() and not line.startswith("#")]
    run, entries = run_and_save(path, cells, aslsh, repository)
    out, index = lines[:body_start], 0
    for line in lines[body_start:]:
        if is_output(line):
            continue
        out.append(line)
        if line.strip() and not line.startswith("#"):
            out += entries[index][1]
            index += 1
    open(path, "w", encoding="utf-8").write("\n".join(out))
    print(f"{path}: recorded {len(cells)} cells")
    if run.returncode != 0:
        print(f"{path}: note: aslsh exited {run.returncode}:\n{run.stderr}", file=sys.stderr)


def main():
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description="re-record the outputs of docs/*.md examples")
    parser.add_argument("--aslsh", default=os.path.join(repository, ".build/release/aslsh"))
    parser.add_argument("pages", nargs="+", metavar="FILE")
    arguments = parser.parse_args()
    for page in arguments.pages:
        if page.endswith(".aslsh"):
            record_session(page, os.path.abspath(arguments.aslsh), repository)
        else:
            record(page, os.path.abspath(arguments.aslsh), repository)


if __name__ == "__main__":
    main()
