--- irlens for Neovim: starts `irlens serve` for LLVM IR and assembly buffers, and adds
--- :IrlensLift, :IrlensSuggest, :IrlensPreview and :IrlensCfg (in irlens/cfg.lua).
---
--- Works from Neovim 0.7 (vim.lsp.start_client + buf_attach_client). On Neovim 0.11 and later
--- the config in lsp/irlens.lua (`vim.lsp.enable('irlens')`) starts the same server; the
--- commands here then use whichever irlens client is attached.
---
--- Settings are the nested camelCase keys the VS Code extension uses (without the `irlens.`
--- prefix), e.g. `{ model = { url = 'http://127.0.0.1:8787/v1' }, preview = { timeBudgetMs = 400 } }`.
local M = {}

local FILETYPES = { 'llvm', 'asm' }

local defaults = {
  cmd = { 'irlens', 'serve' },
  filetypes = FILETYPES,
  root_markers = { '.git', 'pyproject.toml', 'compile_commands.json' },
  settings = {},
  on_attach = nil,
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)

--- The last `irlens/status` payload per client id (llvm {version, source, tools}, model {state, name, detail}).
M.status = {}

local function notify(message, level)
  vim.notify('irlens: ' .. message, level or vim.log.levels.INFO)
end

-- Clients started by this plugin, one per root directory.
local clients_by_root = {}

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while dir and dir ~= '' do
    for _, marker in ipairs(markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.getcwd()
end

-- Neovim 0.11 made client methods take self (client:request()); older ones use client.request().
local HAS_METHODS = vim.fn.has('nvim-0.11') == 1

local function call(client, method, ...)
  if HAS_METHODS then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function is_alive(client_id)
  local client = client_id and vim.lsp.get_client_by_id(client_id)
  return client ~= nil and not call(client, 'is_stopped')
end

--- Handlers for the irlens notifications, and for what Neovim 0.7 lacks or shows poorly.
local function make_handlers()
  return {
    ['irlens/status'] = function(_, result, ctx)
      M.status[ctx.client_id] = result
    end,
    ['irlens/previewUpdated'] = function(_, result)
      M.last_preview = result
    end,
    ['irlens/suggestProgress'] = function(_, result)
      M.last_suggest = result
    end,
    -- Neovim 0.7 writes info messages where they are easily missed; vim.notify is visible.
    ['window/showMessage'] = function(_, result)
      local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }
      vim.notify('irlens: ' .. result.message, levels[result.type] or vim.log.levels.INFO)
      return vim.NIL
    end,
    -- Neovim 0.7 has no window/showDocument; the lift command opens its result with it.
    ['window/showDocument'] = function(_, result)
      local ok = pcall(function()
        local path = vim.uri_to_fname(result.uri)
        vim.cmd((result.takeFocus == false and 'badd ' or 'split ') .. vim.fn.fnameescape(path))
      end)
      return { success = ok }
    end,
  }
end

-- Empty Lua tables encode as JSON arrays; the server wants objects.
local function as_object(value)
  if type(value) ~= 'table' then
    return value
  end
  if next(value) == nil then
    return vim.empty_dict()
  end
  local copy = {}
  for key, item in pairs(value) do
    copy[key] = as_object(item)
  end
  return copy
end

--- The LSP config for a buffer, as vim.lsp.start_client takes it.
function M.client_config(bufnr)
  local cfg = M.config
  local settings = as_object(cfg.settings)
  local root = find_root(vim.api.nvim_buf_get_name(bufnr), cfg.root_markers)
  return {
    name = 'irlens',
    cmd = cfg.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = settings,
    settings = { irlens = settings },
    capabilities = cfg.capabilities or vim.lsp.protocol.make_client_capabilities(),
    handlers = make_handlers(),
    on_attach = cfg.on_attach,
  }
end

--- Start (or reuse) the irlens client for the buffer's project and attach the buffer to it.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.fn.executable(M.config.cmd[1]) ~= 1 then
    notify(
      string.format(
        "cannot start the language server: '%s' was not found. Install it with `pip install irlens` "
          .. "(or scripts/setup.sh in an irlens checkout), or pass cmd = { '/path/to/irlens', 'serve' } to setup().",
        M.config.cmd[1]
      ),
      vim.log.levels.ERROR
    )
    return nil
  end
  local config = M.client_config(bufnr)
  local client_id = clients_by_root[config.root_dir]
  if not is_alive(client_id) then
    client_id = vim.lsp.start_client(config)
    if not client_id then
      notify('the language server did not start; see :lua vim.cmd("edit " .. vim.lsp.get_log_path())', vim.log.levels.ERROR)
      return nil
    end
    clients_by_root[config.root_dir] = client_id
  end
  vim.lsp.buf_attach_client(bufnr, client_id)
  return client_id
end

--- Configure the plugin and attach irlens to every llvm and asm buffer, now and later.
--- opts: cmd, settings, root_markers, filetypes, on_attach, capabilities.
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  local group = vim.api.nvim_create_augroup('irlens_attach', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

--- The irlens client attached to a buffer (started by setup() or by vim.lsp.enable('irlens')).
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local attached = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
  for _, client in pairs(attached) do
    if client.name == 'irlens' then
      return client
    end
  end
  return nil
end

--- The function whose body holds `line` (1-based), without the `@`.
function M.function_at(bufnr, line)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, line, false)
  for i = #lines, 1, -1 do
    local text = lines[i]
    if text:match('^%s*define%s') then
      return text:match('@"([^"]+)"') or text:match('@([%w$._-]+)')
    end
    if i < #lines and text:match('^}') then
      return nil
    end
  end
  return nil
end

--- The pipeline given with -passes= or -p on a line, if any.
function M.pipeline_in(text)
  return text:match("%-passes='([^']+)'")
    or text:match('%-passes="([^"]+)"')
    or text:match('%-passes=(%S+)')
    or text:match("%-p%s+'([^']+)'")
    or text:match('%-p%s+"([^"]+)"')
    or text:match('%-p%s+([^%s%-]%S*)')
end

local function require_client(bufnr)
  local client = M.client(bufnr)
  if not client then
    notify('no irlens language server is attached to this buffer (is its filetype llvm or asm?)', vim.log.levels.WARN)
  end
  return client
end

local function request(client, bufnr, method, params, on_result)
  call(client, 'request', method, params, function(err, result)
    if err then
      notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
      return
    end
    on_result(result)
  end, bufnr)
end

local function execute(client, bufnr, command, argument, on_result)
  request(client, bufnr, 'workspace/executeCommand', { command = command, arguments = { argument } }, on_result)
end

-- JSON null arrives as vim.NIL, which is truthy: read optional fields through these.
local function text(value)
  return type(value) == 'string' and value ~= '' and value or nil
end

local function number(value)
  return type(value) == 'number' and value or nil
end

--- A message from a command's result, if it carries one.
local function result_message(result)
  if type(result) ~= 'table' then
    return nil
  end
  return text(result.error) or text(result.message)
end

--- Open a scratch buffer in a split with these lines.
local function scratch(name, lines, filetype)
  vim.cmd('botright new')
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].buftype = 'nofile'
  vim.bo[bufnr].bufhidden = 'wipe'
  vim.bo[bufnr].swapfile = false
  pcall(vim.api.nvim_buf_set_name, bufnr, name)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  if filetype then
    vim.bo[bufnr].filetype = filetype
  end
  return bufnr
end

local function split_lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

--- :IrlensLift: lift the assembly buffer (or the lines of a range) to LLVM IR.
function M.lift(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = require_client(bufnr)
  if not client then
    return
  end
  local argument = { uri = vim.uri_from_bufnr(bufnr) }
  if opts.range and opts.range > 0 then
    argument.range = {
      start = { line = opts.line1 - 1, character = 0 },
      ['end'] = { line = opts.line2, character = 0 },
    }
  end
  notify('lifting ' .. vim.fn.expand('%:t') .. ' to LLVM IR…')
  execute(client, bufnr, 'irlens.liftToIR', argument, function(result)
    M.last_lift = result
    local message = result_message(result)
    if type(result) ~= 'table' then
      notify('nothing was lifted')
    elseif result.ok == false or text(result.error) then
      notify(message or 'nothing was lifted', vim.log.levels.ERROR)
    else
      if message then
        notify(message)
      end
      -- Neovim 0.7 cannot be asked to show a document; open the lifted file here.
      local uri = text(result.uri)
      if uri and vim.fn.bufwinnr(vim.uri_to_fname(uri)) == -1 then
        vim.cmd('split ' .. vim.fn.fnameescape(vim.uri_to_fname(uri)))
      end
    end
  end)
end

--- The lines of the suggestions view, from irlens.suggestPasses' result (see docs/lsp-extensions.md).
function M.suggestion_lines(result)
  if type(result) ~= 'table' then
    return { 'no suggestion' }
  end
  local lines = {}
  local headline = text(result.headline) or text(result.message)
  if headline then
    table.insert(lines, (headline:gsub('`', '')))
  end
  if text(result.error) and result.error ~= headline then
    table.insert(lines, 'error: ' .. result.error)
  end
  local oz = number(result.ozSize)
  local function row(bytes, pipeline, from)
    local versus = ''
    if bytes and oz and oz > 0 then
      versus = string.format('  %+.1f%% vs -Oz', 100 * (bytes - oz) / oz)
    end
    return string.format('%5s bytes%s  %s  (%s)', bytes and tostring(bytes) or '?', versus, pipeline, from)
  end
  table.insert(lines, '')
  local offer = type(result.offer) == 'table' and result.offer or nil
  if offer and text(offer.pipeline) then
    table.insert(lines, row(number(offer.size), offer.pipeline, offer.improved == true and 'offer, verified' or '-Oz is best'))
    if text(offer.differential) then
      table.insert(lines, '      differential check: ' .. offer.differential)
    end
  end
  local model = type(result.model) == 'table' and result.model or nil
  if model and type(model.candidates) == 'table' then
    for _, candidate in ipairs(model.candidates) do
      local pipeline = text(candidate.pipeline) or text(candidate.proposed) or '?'
      local from = string.format('model sample %s, %s', tostring(number(candidate.sample) or '?'), text(candidate.status) or '?')
      table.insert(lines, row(number(candidate.size), pipeline, from))
    end
  end
  if model and text(model.error) then
    table.insert(lines, 'model: ' .. model.error)
  end
  if oz then
    table.insert(lines, row(oz, 'default<Oz>', '-Oz'))
  end
  local search = type(result.search) == 'table' and result.search or nil
  if search and number(search.evaluated) then
    table.insert(lines, string.format('%d candidates measured in %.1f s', search.evaluated, number(search.seconds) or 0))
  end
  if type(result.notes) == 'table' then
    for _, note in ipairs(result.notes) do
      table.insert(lines, 'note: ' .. tostring(note))
    end
  end
  return lines
end

--- :IrlensSuggest: pass lists for the function at the cursor, verified against -Oz.
function M.suggest()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = require_client(bufnr)
  if not client then
    return
  end
  local argument = { uri = vim.uri_from_bufnr(bufnr) }
  local fn = M.function_at(bufnr, vim.api.nvim_win_get_cursor(0)[1])
  if fn then
    argument['function'] = fn
  end
  notify('searching for pass lists' .. (fn and (' for @' .. fn) or '') .. '…')
  execute(client, bufnr, 'irlens.suggestPasses', argument, function(result)
    M.last_suggest = result
    scratch('irlens://suggestions', M.suggestion_lines(result))
  end)
end

--- The lines of the pipeline-steps view, and the IR after each step, by line number.
--- A step that changed nothing has no IR of its own: the IR after it is the last one that did.
function M.steps_lines(result)
  local lines = {
    string.format(
      'irlens pipeline steps: %s%s',
      result.pipeline or '?',
      type(result['function']) == 'string' and (' on @' .. result['function']) or ''
    ),
    'Press <Enter> on a pass to see the IR after it. [*] changed the IR, [ ] did not.',
    '',
  }
  local by_line = {}
  local problem = text(result.error) or text(result.message)
  if problem then
    vim.list_extend(lines, split_lines(problem))
  end
  local current = type(result.initial) == 'string' and result.initial or nil
  for index, step in ipairs(result.steps or {}) do
    local ir = step.ir or step.after
    if type(ir) == 'string' then
      current = ir
    end
    local name = step.pass or step.name or '?'
    local on = type(step.on) == 'string' and (' on ' .. step.on) or ''
    table.insert(lines, string.format('%2d. [%s] %s%s', index, step.changed and '*' or ' ', name, on))
    by_line[#lines] = { name = name, ir = current }
  end
  if result.truncated == true then
    table.insert(lines, '(cut: the pipeline ran more passes than shown)')
  end
  return lines, by_line
end

--- :IrlensPreview [pipeline]: every pass of the pipeline on the function at the cursor, in a split.
function M.preview(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = require_client(bufnr)
  if not client then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  -- The server finds the pipeline at the cursor (a RUN line, a -passes= string, or the
  -- default pipeline on a define line) unless one is given.
  local params = { uri = vim.uri_from_bufnr(bufnr), position = vim.lsp.util.make_position_params().position }
  local fn = M.function_at(bufnr, cursor[1])
  if fn then
    params['function'] = fn
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, cursor[1] - 1, cursor[1], false)[1] or ''
  local pipeline = (opts.args and opts.args ~= '' and opts.args) or M.pipeline_in(line)
  if pipeline then
    params.pipeline = pipeline
  end
  request(client, bufnr, 'irlens/pipelineSteps', params, function(result)
    if type(result) ~= 'table' then
      notify('no pipeline steps', vim.log.levels.WARN)
      return
    end
    M.last_steps = result
    local lines, by_line = M.steps_lines(result)
    local steps_buf = scratch('irlens://steps', lines)
    vim.keymap.set('n', '<CR>', function()
      local step = by_line[vim.api.nvim_win_get_cursor(0)[1]]
      if step and step.ir then
        scratch('irlens://after/' .. step.name, split_lines(step.ir), 'llvm')
      end
    end, { buffer = steps_buf, desc = 'irlens: show the IR after this pass' })
  end)
end

--- :IrlensCfg [function]: the CFG of the function at the cursor as text, in a split.
function M.cfg(opts)
  require('irlens.cfg').show(opts)
end

-- For the commands kept in their own modules (irlens/cfg.lua); not a public API.
M._notify = notify
M._require_client = require_client
M._request = request
M._scratch = scratch

--- A short status text for statuslines: model and LLVM version of the buffer's irlens server.
function M.statusline(bufnr)
  local client = M.client(bufnr)
  local status = client and M.status[client.id]
  if not status then
    return ''
  end
  local model = type(status.model) == 'table' and status.model or {}
  local label = (model.state == 'ready' and text(model.name))
    or (model.state == 'unavailable' and 'model unavailable')
    or 'LLVM-only'
  local llvm = type(status.llvm) == 'table' and text(status.llvm.version)
  return string.format('irlens: %s · %s', label, llvm and ('LLVM ' .. llvm) or 'no LLVM')
end

return M
