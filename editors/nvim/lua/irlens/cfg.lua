--- :IrlensCfg [function]: the control-flow graph of the function at the cursor (or the one
--- named), as the text listing the server's `irlens/cfg` request returns, in a scratch split.
--- <Enter> on a block's line jumps to that block in the IR buffer.
---
--- Works on Neovim 0.7 and on 0.11+ (with the client from lsp/irlens.lua): only
--- client:request() is used, through the helpers in irlens/init.lua.
local M = {}

--- The source line (1-based) a line of the listing points at: block lines end with
--- `(line N)` or `(line N)  (loop depth ...)`; the preds/succs lines under them are indented.
function M.block_line(text)
  if type(text) ~= 'string' or text:match('^%s') then
    return nil
  end
  local line = text:match('%(line (%d+)%)')
  return line and tonumber(line) or nil
end

--- The lines of the view, from the `irlens/cfg` result (docs/lsp-extensions.md).
function M.lines(result)
  if type(result) ~= 'table' then
    return { 'no CFG' }
  end
  if type(result.text) == 'string' and result.text ~= '' then
    local lines = vim.split(result.text, '\n', { plain = true })
    if lines[#lines] == '' then
      table.remove(lines)
    end
    return lines
  end
  return { type(result.error) == 'string' and result.error or 'no CFG' }
end

--- The message for a result without a CFG (none there, or not an IR document), or nil.
function M.problem(result)
  if type(result) ~= 'table' then
    return 'the server sent no CFG'
  end
  if type(result.error) ~= 'string' then
    return nil
  end
  local message = result.error
  if type(result.functions) == 'table' and #result.functions > 0 then
    local names = vim.tbl_map(function(name)
      return '@' .. tostring(name)
    end, result.functions)
    message = message .. '; put the cursor in one of ' .. table.concat(names, ', ') .. ' or name it: :IrlensCfg NAME'
  end
  return message
end

--- Run the command on the current buffer; opts.args may name the function.
function M.show(opts)
  opts = opts or {}
  local irlens = require('irlens')
  local bufnr = vim.api.nvim_get_current_buf()
  local client = irlens._require_client(bufnr)
  if not client then
    return
  end
  local source_win = vim.api.nvim_get_current_win()
  -- Only the line picks the function, so no position encoding is involved.
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = vim.api.nvim_win_get_cursor(0)[1] - 1, character = 0 },
  }
  if opts.args and opts.args ~= '' then
    params['function'] = opts.args
  end
  irlens._request(client, bufnr, 'irlens/cfg', params, function(result)
    irlens.last_cfg = result
    local problem = M.problem(result)
    if problem then
      irlens._notify(problem, vim.log.levels.WARN)
      return
    end
    local view = irlens._scratch('irlens://cfg/@' .. tostring(result['function']), M.lines(result))
    vim.keymap.set('n', '<CR>', function()
      local line = M.block_line(vim.api.nvim_get_current_line())
      if not line or not vim.api.nvim_win_is_valid(source_win) or vim.api.nvim_win_get_buf(source_win) ~= bufnr then
        return
      end
      vim.api.nvim_set_current_win(source_win)
      vim.api.nvim_win_set_cursor(source_win, { math.min(line, vim.api.nvim_buf_line_count(bufnr)), 0 })
    end, { buffer = view, desc = 'irlens: jump to this block' })
  end)
end

return M
