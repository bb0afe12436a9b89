"""``irlens eval``: measure a model (or the LLVM-only search) on a corpus, as the paper does.

- ``inputs``: finding the inputs (a directory of ``.ll``, ``.c`` or ``.s`` files, or the
  irlens corpus layout) and turning them into units, one function each.
- ``records``: the per-item JSON lines file that makes an interrupted run resumable.
- ``progress``: the progress bar with an ETA on stderr.
- ``context``: asking the model within its context window; too-long inputs are results.
- ``tasks``: one small adapter per task (``emulate``, ``passes``, ``lift``) over the
  features' own verification code.
- ``harness``: runs a task's items concurrently, writes the files.
- ``report`` and ``plots``: the summary JSON, the Markdown table, the PNG plots.

Architecture invariant: the language server never imports this package (it is a CLI
tool), and matplotlib is imported only when plots are drawn.
"""
