-- irlens: filetype detection and commands. The language server starts once
-- require('irlens').setup({...}) has been called (or through lsp/irlens.lua on Neovim 0.11+).
if vim.g.loaded_irlens then
  return
end
vim.g.loaded_irlens = 1

-- Old Neovims detect *.ll as `lifelines`; irlens (and nvim-lspconfig) call it `llvm`.
-- Set vim.g.irlens_no_filetype = 1 to keep your own detection.
if not vim.g.irlens_no_filetype then
  if vim.filetype and vim.filetype.add and vim.fn.has('nvim-0.8') == 1 then
    vim.filetype.add({ extension = { ll = 'llvm', s = 'asm', S = 'asm' } })
  else
    local group = vim.api.nvim_create_augroup('irlens_filetype', { clear = true })
    local function set(pattern, filetype)
      vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
        group = group,
        pattern = pattern,
        callback = function(args)
          if vim.bo[args.buf].filetype ~= filetype then
            vim.bo[args.buf].filetype = filetype
          end
        end,
      })
    end
    set('*.ll', 'llvm')
    set({ '*.s', '*.S' }, 'asm')
  end
end

vim.api.nvim_create_user_command('IrlensLift', function(opts)
  require('irlens').lift(opts)
end, { range = true, desc = 'irlens: lift this assembly file (or the range) to LLVM IR' })

vim.api.nvim_create_user_command('IrlensSuggest', function()
  require('irlens').suggest()
end, { desc = 'irlens: pass lists for the function at the cursor, verified against -Oz' })

vim.api.nvim_create_user_command('IrlensPreview', function(opts)
  require('irlens').preview(opts)
end, { nargs = '?', desc = 'irlens: the pipeline steps for the function at the cursor, in a split' })

vim.api.nvim_create_user_command('IrlensCfg', function(opts)
  require('irlens').cfg(opts)
end, { nargs = '?', desc = 'irlens: the control-flow graph of the function at the cursor (or the one named), in a split' })
