"""Import every built-in method so that its `@METHODS.register` runs."""

import wstal.methods.cmcs  # noqa: F401
import wstal.methods.rskp  # noqa: F401
