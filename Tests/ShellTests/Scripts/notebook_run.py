"""Executes a notebook on the aslsh kernel with nbclient (headless, as CI and papermill run them).

usage: notebook_run.py IN.ipynb OUT.ipynb WORKDIR   (JUPYTER_PATH must list the installed kernelspec)
Validates the notebook before and after (nbformat.validate) and prints a JSON summary of outputs.
"""
import base64, json, sys

import nbformat
from nbclient import NotebookClient

source, target, workdir = sys.argv[1:4]
nb = nbformat.read(source, as_version=4)
nbformat.validate(nb)
client = NotebookClient(nb, kernel_name="aslsh", timeout=300, resources={"metadata": {"path": workdir}})
client.execute()
nbformat.validate(nb)
nbformat.write(nb, target)

summary = {"cells": 0, "png": 0, "html_tables": 0, "errors": 0, "volatile": 0, "png_sizes": []}
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    summary["cells"] += 1
    for output in cell.outputs:
        if output.output_type == "error":
            summary["errors"] += 1
        data = output.get("data", {})
        if "image/png" in data:
            png = base64.b64decode(data["image/png"])
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            summary["png"] += 1
            summary["png_sizes"].append(int.from_bytes(png[16:20], "big"))
        if "text/html" in data and "<table" in data["text/html"]:
            summary["html_tables"] += 1
        if output.get("metadata", {}).get("aslsh", {}).get("volatile"):
            summary["volatile"] += 1
print(json.dumps(summary))
