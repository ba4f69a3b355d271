"""Import every built-in method so that its `@METHODS.register` runs."""

import importlib

for _module in ("wstal.methods.cmcs", "wstal.methods.rskp"):
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as exc:  # a method module not written yet must not hide others
        if exc.name != _module:
            raise
