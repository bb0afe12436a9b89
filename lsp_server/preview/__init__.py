"""The preview: the IR after a pass, verified against the local opt.

- ``target``: what a preview is about: the pass or ``define`` line under the cursor, as the
  pipelines cut before and after it, with the RUN line's options.
- ``run``: the truth: opt before and after on the whole module, with counts and sizes.
- ``split``: one opt run for both sides, where the cut allows it.
- ``printed``: reading what opt prints: functions, instruction counts, diffs, comparisons.
- ``model``: the model's emulation of opt and its verdict against the truth.
- ``render``: the preview as data and as Markdown, within a length budget.
- ``steps``: every pass of a pipeline with the IR after each (``irlens/pipelineSteps``).
- ``engine``: the whole hover: :func:`~lsp_server.preview.engine.hover_preview` and the
  per-session state (memo, work in flight, late predictions).

Architecture invariant: nothing here imports lsprotocol or pygls; the editor's side is in
``lsp_server.features`` and ``lsp_server.handlers``.
"""
