-- Drives dist/server.js from headless Neovim 0.7 (vim.lsp.start_client, push
-- diagnostics): opens a file, waits for diagnostics, asks for a hover on a
-- port and for code actions, applies the "Allow …" fix to the buffer, and
-- writes what it saw to CFL_RESULT as JSON. neovim.test.ts asserts on that
-- file; this script only records, so a failure message can say what was seen.
local server = os.getenv('CFL_SERVER')
local workspace = os.getenv('CFL_WORKSPACE')
local file = os.getenv('CFL_FILE')
local filetype = os.getenv('CFL_FILETYPE')
local result_path = os.getenv('CFL_RESULT')
local hover_text = os.getenv('CFL_HOVER_TEXT') or '2598'
local wait_ms = tonumber(os.getenv('CFL_WAIT_MS') or '30000')

local result = { steps = {}, diagnostics = {}, errors = {} }

local function finish()
  local f = io.open(result_path, 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

local function fail(message)
  table.insert(result.errors, message)
  finish()
end

local ok, err = pcall(function()
  local published = {}
  local client_id = vim.lsp.start_client({
    name = 'citrix-flow-lint',
    cmd = { 'node', server, '--stdio' },
    root_dir = workspace,
    workspace_folders = { { uri = vim.uri_from_fname(workspace), name = 'e2e' } },
    handlers = {
      ['textDocument/publishDiagnostics'] = function(e, params, ctx, config)
        table.insert(published, params)
        return vim.lsp.handlers['textDocument/publishDiagnostics'](e, params, ctx, config)
      end,
    },
    on_exit = function(code, signal)
      result.server_exit = { code = code, signal = signal }
    end,
  })
  if not client_id then return fail('vim.lsp.start_client returned nil') end

  local initialized = vim.wait(wait_ms, function()
    local client = vim.lsp.get_client_by_id(client_id)
    return result.server_exit ~= nil or (client ~= nil and client.initialized == true)
  end, 50)
  initialized = initialized and result.server_exit == nil
  result.steps.initialized = initialized
  if result.server_exit then
    return fail('the server exited before initialize finished: ' .. vim.inspect(result.server_exit))
  end
  if not initialized then return fail('the server did not finish initialize within ' .. wait_ms .. ' ms') end

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  if filetype and filetype ~= '' then vim.bo[bufnr].filetype = filetype end
  vim.lsp.buf_attach_client(bufnr, client_id)
  local uri = vim.uri_from_bufnr(bufnr)

  local function diagnostics_for_uri()
    for i = #published, 1, -1 do
      if published[i].uri == uri then return published[i].diagnostics end
    end
    return nil
  end

  local got = vim.wait(wait_ms, function()
    local d = diagnostics_for_uri()
    return d ~= nil and #d > 0
  end, 50)
  result.steps.diagnostics = got
  result.diagnostics = diagnostics_for_uri() or {}
  result.nvim_diagnostics = #vim.diagnostic.get(bufnr)

  -- Hover on the first occurrence of the port in the buffer.
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local hover_pos
  for i, line in ipairs(lines) do
    local s = string.find(line, hover_text, 1, true)
    if s then
      hover_pos = { line = i - 1, character = s }
      break
    end
  end
  if hover_pos then
    local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
      textDocument = { uri = uri },
      position = hover_pos,
    }, 10000)
    local texts = {}
    for _, response in pairs(responses or {}) do
      if response.err then table.insert(result.errors, 'hover error: ' .. vim.inspect(response.err)) end
      if response.result and response.result.contents then
        local md = vim.lsp.util.convert_input_to_markdown_lines(response.result.contents)
        table.insert(texts, table.concat(md, '\n'))
      end
    end
    result.hover = { position = hover_pos, text = table.concat(texts, '\n') }
  end

  -- The quick fix for the first missing-flow diagnostic.
  local target
  for _, d in ipairs(result.diagnostics) do
    if d.code == 'missing-flow' then target = d break end
  end
  if target then
    local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', {
      textDocument = { uri = uri },
      range = target.range,
      context = { diagnostics = { target }, only = { 'quickfix' } },
    }, 10000)
    local titles = {}
    local chosen
    for _, response in pairs(responses or {}) do
      if response.err then table.insert(result.errors, 'codeAction error: ' .. vim.inspect(response.err)) end
      for _, action in ipairs(response.result or {}) do
        table.insert(titles, action.title)
        if not chosen and string.sub(action.title, 1, 5) == 'Allow' then chosen = action end
      end
    end
    result.code_action_titles = titles
    if chosen then
      if not chosen.edit and chosen.data then
        local resolved = vim.lsp.buf_request_sync(bufnr, 'codeAction/resolve', chosen, 10000)
        for _, response in pairs(resolved or {}) do
          if response.result then chosen = response.result end
        end
      end
      result.chosen_action = chosen.title
      if chosen.edit then
        local before_count = #published
        vim.lsp.util.apply_workspace_edit(chosen.edit, 'utf-16')
        result.steps.edit_applied = true
        result.buffer_after = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
        -- The buffer change reaches the server as didChange; wait for the
        -- diagnostics it publishes for the new text.
        local republished = vim.wait(wait_ms, function()
          return #published > before_count and diagnostics_for_uri() ~= nil
        end, 50)
        result.steps.republished = republished
        result.diagnostics_after = diagnostics_for_uri() or {}
      else
        table.insert(result.errors, 'the chosen code action has no edit: ' .. vim.inspect(chosen))
      end
    end
  end

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return result.server_exit ~= nil end, 50)
  finish()
end)

if not ok then fail('lua error: ' .. tostring(err)) end
