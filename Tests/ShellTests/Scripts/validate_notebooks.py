"""nbformat.validate on each notebook named (nbformat's JSON schema for 4.5: cell ids, outputs)."""
import sys

import nbformat

for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5), (path, nb.nbformat, nb.nbformat_minor)
    nbformat.validate(nb)
    print("valid", path)
