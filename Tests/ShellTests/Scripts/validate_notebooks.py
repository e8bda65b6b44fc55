"""nbformat.validate on each notebook named (nbformat's JSON schema for 4.5: cell ids, outputs),
and whether the file is byte for byte what nbformat itself writes for it (Jupyter's layout)."""
import sys

import nbformat

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5), (path, nb.nbformat, nb.nbformat_minor)
    nbformat.validate(nb)
    same = nbformat.writes(nb) + "\n" == text
    print("valid", path, "as-nbformat-writes" if same else "laid-out-differently")
