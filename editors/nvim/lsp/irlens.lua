---@brief
---
--- https://github.com/irlens/irlens
---
--- irlens: a language server for LLVM IR (`.ll`) and assembly (`.s`, `.S`), backed by Meta's
--- LLM Compiler models, with every model answer verified by the local LLVM. Built with LLM Compiler.
---
--- Install the server with `pip install irlens` (and LLVM 17 or newer, e.g. `apt install llvm-19`).
--- Without a model it runs in LLVM-only mode: diagnostics, previews with the real `opt` result,
--- and pass suggestions from a local search. Point it at a model server for predictions and lifting:
---
--- ```lua
--- vim.lsp.config('irlens', {
---   init_options = {
---     model = { url = 'http://127.0.0.1:8787/v1' },
---   },
--- })
--- vim.lsp.enable('irlens')
--- ```
---
--- `init_options` take the same nested camelCase keys as the VS Code extension's `irlens.*`
--- settings: model.url, model.name, model.apiKey, model.timeoutSeconds, model.maxConcurrent,
--- llvm.binDir, llvm.toolTimeoutSeconds, llvm.maxOutputMb, llvm.maxMemoryMb, target.triple, preview.defaultPipeline,
--- preview.timeBudgetMs, preview.maxDiffLines, suggest.budgetSeconds, suggest.maxCompilations,
--- suggest.samples, suggest.temperature, diagnostics.enabled, diagnostics.debounceMs,
--- limits.symbolsMegabytes, limits.maxSymbols, limits.diagnosticsMegabytes, limits.previewMegabytes,
--- limits.suggestMegabytes, limits.liftMegabytes, limits.indexMegabytes, limits.lineKilobytes,
--- limits.documentMegabytes.
---
--- Neovim before 0.9 detects `*.ll` as `lifelines`: map it with
--- `vim.filetype.add({ extension = { ll = 'llvm' } })`.

---@type vim.lsp.Config
return {
  cmd = { 'irlens', 'serve' },
  filetypes = { 'llvm', 'asm' },
  root_markers = { '.git', 'pyproject.toml', 'compile_commands.json' },
  init_options = {},
}
