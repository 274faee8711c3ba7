-- dormlint's language server in a real Neovim (headless), run by tests/editor/neovim.sh,
-- which writes the project and the command line's answers (EDITOR_TEST_EXPECT). Each
-- check prints `ok: ...` or `FAIL: ...`; the last line is `neovim: N passed, N failed`,
-- and Neovim exits 1 when anything failed.
--
-- Runs on Neovim 0.7 and later, starting the server the way that version can:
-- `vim.lsp.start_client` + `vim.lsp.buf_attach_client` on 0.7, `vim.lsp.start` on
-- 0.8 to 0.10, and on 0.11 and later README.md's own `vim.lsp.config` and fix-on-save
-- snippets, read from the README and run as they are.

local DORMLINT = os.getenv("DORMLINT_BIN")
local PROJECT = os.getenv("EDITOR_TEST_PROJECT")
local EXPECT = os.getenv("EDITOR_TEST_EXPECT")
local README = os.getenv("EDITOR_TEST_README")
local TIMEOUT = 10000

local nvim_08 = vim.fn.has("nvim-0.8") == 1
local nvim_011 = vim.fn.has("nvim-0.11") == 1

local passed, failed = 0, 0

local function say(line)
  io.stdout:write(line, "\n")
  io.stdout:flush()
end

local function ok(what)
  passed = passed + 1
  say("ok: " .. what)
end

local function fail(what, detail)
  failed = failed + 1
  say("FAIL: " .. what)
  if detail then
    local lines = vim.split(detail, "\n", { plain = true })
    for i, line in ipairs(lines) do
      if i > 24 then
        say(string.format("    (%d more lines)", #lines - 24))
        break
      end
      say("    " .. line)
    end
  end
end

local function check(condition, what, detail)
  if condition then
    ok(what)
  else
    fail(what, detail)
  end
  return condition
end

local function read(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

-- The expected findings, one line each, as the runner wrote them.
local function expected(name)
  local lines = {}
  for line in read(EXPECT .. "/" .. name .. ".txt"):gmatch("[^\n]+") do
    table.insert(lines, line)
  end
  table.sort(lines)
  return lines
end

local function buffer_text(buf)
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  if vim.bo[buf].eol then
    text = text .. "\n"
  end
  return text
end

local function set_text(buf, text)
  local lines = vim.split(text, "\n", { plain = true })
  if lines[#lines] == "" then
    table.remove(lines)
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
end

-- Method calls on a client: `client:request_sync(...)` from 0.11, `client.request_sync`
-- before (0.11 deprecates the dot form).
local function call(client, method, ...)
  if nvim_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

-- Every publishDiagnostics a client sent, as lists of codes: to show that a rule never
-- appeared, not only that it is gone at the end.
local published = {}
local original_handler = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
  if result then
    local codes = {}
    for _, d in ipairs(result.diagnostics or {}) do
      table.insert(codes, tostring(d.code))
    end
    published[ctx.client_id] = published[ctx.client_id] or {}
    table.insert(published[ctx.client_id], table.concat(codes, ","))
  end
  return original_handler(err, result, ctx, config)
end

local notifications = {}
local original_notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(notifications, tostring(message))
  return original_notify(message, level, opts)
end

-- Workspace edits Neovim applied: to know that an answer was handled.
local applied = 0
local original_apply = vim.lsp.util.apply_workspace_edit
vim.lsp.util.apply_workspace_edit = function(...)
  applied = applied + 1
  return original_apply(...)
end

local severities = { [1] = "error", [2] = "warning", [3] = "information", [4] = "hint" }

-- What the editor shows for a client in a buffer, in the runner's format.
local function shown(buf, client_id)
  local namespace = vim.lsp.diagnostic.get_namespace(client_id)
  local lines, sources = {}, {}
  for _, d in ipairs(vim.diagnostic.get(buf, { namespace = namespace })) do
    local message = d.message:gsub("\n", "\\n")
    table.insert(
      lines,
      string.format(
        "%d:%d-%d:%d %s %s %s",
        d.lnum + 1,
        d.col + 1,
        d.end_lnum + 1,
        d.end_col + 1,
        tostring(d.code),
        severities[d.severity] or tostring(d.severity),
        message
      )
    )
    sources[tostring(d.source)] = true
  end
  table.sort(lines)
  return lines, sources
end

-- Waits until the diagnostics are the expected ones; the last ones seen otherwise.
local function wait_for_findings(buf, client_id, name, what)
  local want = expected(name)
  local got
  local arrived = vim.wait(TIMEOUT, function()
    got = shown(buf, client_id)
    return vim.deep_equal(got, want)
  end, 20)
  check(
    arrived,
    what,
    "expected (dormlint check):\n  "
      .. table.concat(want, "\n  ")
      .. "\nshown in Neovim:\n  "
      .. table.concat(got, "\n  ")
  )
  return arrived
end

local function wait_for_text(buf, text, what)
  local arrived = vim.wait(TIMEOUT, function()
    return buffer_text(buf) == text
  end, 20)
  check(arrived, what, "expected:\n" .. text .. "buffer:\n" .. buffer_text(buf))
  return arrived
end

-- The clients attached to a buffer (`vim.lsp.get_clients` from 0.10).
local function clients(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf })
  end
  if buf then
    return vim.lsp.buf_get_clients(buf)
  end
  return vim.lsp.get_active_clients()
end

local function find_client(buf, name)
  local found
  vim.wait(TIMEOUT, function()
    for _, client in pairs(clients(buf)) do
      if client.name == name and client.initialized ~= false then
        found = client
      end
    end
    return found ~= nil
  end, 20)
  return found
end

-- Starts a client for the current buffer the way this Neovim can.
local function start(config)
  config.cmd = config.cmd or { DORMLINT, "server" }
  config.root_dir = PROJECT
  if nvim_08 then
    return vim.lsp.start(config)
  end
  -- 0.7 does not send `settings` by itself; its documentation says to, in on_init.
  if config.settings then
    config.on_init = function(client)
      client.notify("workspace/didChangeConfiguration", { settings = client.config.settings })
    end
  end
  local id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(0, id)
  return id
end

-- README.md's Lua block that contains `marker`.
local function readme_block(marker)
  local text = read(README)
  for block in text:gmatch("```lua\n(.-)\n```") do
    if block:find(marker, 1, true) then
      return block
    end
  end
  error("README.md has no Lua block containing " .. marker)
end

local function run_readme_block(marker)
  local chunk = assert(loadstring(readme_block(marker), "README.md block " .. marker))
  chunk()
end

local function cursor_on(row, col)
  vim.api.nvim_win_set_cursor(0, { row, col })
end

local function fix_all_actions(client, buf)
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { only = { "source.fixAll.dormlint" }, diagnostics = {} }
  local response = call(client, "request_sync", "textDocument/codeAction", params, 5000, buf)
  return response and response.result or {}
end

local function edits_of(action)
  local count = 0
  for _, edits in pairs(action.edit and action.edit.changes or {}) do
    count = count + #edits
  end
  return count
end

local function main()
  local version = vim.version()
  say(string.format("neovim: running on Neovim %d.%d.%d", version.major, version.minor, version.patch))
  local original = read(EXPECT .. "/original.py")
  -- Python's ftplugin looks for a Python provider (pynvim) first: two seconds, unused.
  vim.g.loaded_python3_provider = 0
  vim.cmd("filetype on")

  -- The client for shop/views.py, named `dormlint` as in the README.
  if nvim_011 then
    run_readme_block('vim.lsp.config("dormlint"')
  end
  vim.cmd("edit " .. PROJECT .. "/shop/views.py")
  local buf = vim.api.nvim_get_current_buf()
  if not nvim_011 then
    start({ name = "dormlint" })
  end
  local client = find_client(buf, "dormlint")
  if not check(client ~= nil, "the server starts and attaches to shop/views.py") then
    return
  end

  -- a. Diagnostics: the command line's findings, with code, range, severity, message
  -- and help; source `dormlint`.
  wait_for_findings(buf, client.id, "findings", "a: diagnostics DJM101 and DJM102 as `dormlint check` reports them")
  local _, sources = shown(buf, client.id)
  check(
    vim.deep_equal(sources, { dormlint = true }),
    "a: every diagnostic's source is `dormlint`",
    vim.inspect(sources)
  )

  -- d. Hover on DJM101 (row 5, `Order` at column 8): the rule's Markdown document.
  local function hover_at(row, col)
    cursor_on(row, col)
    return call(
      client,
      "request_sync",
      "textDocument/hover",
      vim.lsp.util.make_position_params(0, client.offset_encoding),
      5000,
      buf
    )
  end
  local response = hover_at(5, 7)
  local hover = response and response.result
  local doc = read(EXPECT .. "/doc.md")
  local explain = vim.split(read(EXPECT .. "/explain.txt"), "\n", { plain = true })
  if check(hover and hover.contents, "d: hover on the DJM101 finding answers", vim.inspect(response)) then
    local contents = hover.contents
    check(contents.kind == "markdown", "d: the hover is Markdown", vim.inspect(contents.kind))
    check(
      vim.trim(contents.value) == vim.trim(doc),
      "d: the hover is rules/DJM101.md, the document `dormlint explain DJM101` renders",
      contents.value
    )
    local lines = vim.split(contents.value, "\n", { plain = true })
    check(
      lines[1] == "# " .. explain[1] and lines[3] == explain[4],
      "d: its title and summary are `dormlint explain DJM101`'s first lines",
      "hover:   " .. tostring(lines[1]) .. " / " .. tostring(lines[3]) .. "\nexplain: " .. explain[1] .. " / " .. explain[4]
    )
    check(
      vim.deep_equal(hover.range, { start = { line = 4, character = 7 }, ["end"] = { line = 4, character = 38 } }),
      "d: the hover's range is the finding's",
      vim.inspect(hover.range)
    )
  end
  -- `K`: vim.lsp.buf.hover() opens a float holding the document.
  vim.lsp.buf.hover()
  local float_lines
  vim.wait(TIMEOUT, function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then
        float_lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
        vim.api.nvim_win_close(win, true)
        return true
      end
    end
    return false
  end, 20)
  check(
    float_lines and vim.tbl_contains(float_lines, explain[4]),
    "d: vim.lsp.buf.hover() shows the document in a float",
    vim.inspect(float_lines)
  )
  -- Off a finding: nothing.
  response = hover_at(1, 0)
  check(response and response.result == nil, "d: hover off a finding answers nothing", vim.inspect(response))

  -- b. The quick fix at DJM101, through vim.lsp.buf.code_action() as `gra` calls it
  -- and its menu (answered by picking the preferred action): the menu holds the fix and
  -- the noqa, not the fix-all, and the buffer becomes what
  -- `dormlint check --fix --select DJM101` writes.
  cursor_on(5, 7)
  local offered
  local original_select = vim.ui.select
  vim.ui.select = function(items, _, on_choice)
    offered = {}
    local choice
    for _, item in ipairs(items) do
      local action = item.action or item[2]
      table.insert(offered, action.title)
      if action.isPreferred then
        choice = item
      end
    end
    on_choice(choice)
  end
  vim.lsp.buf.code_action()
  vim.wait(TIMEOUT, function()
    return offered ~= nil
  end, 20)
  vim.ui.select = original_select
  check(
    vim.deep_equal(offered, {
      "Use `Order.objects.filter(paid=True).exists()`",
      "Suppress DJM101 on this line (`# noqa: DJM101`)",
    }),
    "b: the code actions at DJM101 are its fix (preferred) and its noqa, no fix-all",
    vim.inspect(offered)
  )
  wait_for_text(buf, read(EXPECT .. "/fixed101.py"), "b: the quick fix changes the buffer as `dormlint check --fix --select DJM101` does")
  wait_for_findings(buf, client.id, "fixed101", "b: after the fix, the diagnostics are the fixed text's")

  -- f. A half-typed buffer: a function cut off after `Order.objects.` above the view.
  set_text(buf, original)
  wait_for_findings(buf, client.id, "findings", "f: the original text again: its findings again")
  vim.api.nvim_buf_set_lines(buf, 3, 3, false, { "def half_typed(request):", "    total = Order.objects.", "", "" })
  check(buffer_text(buf) == read(EXPECT .. "/broken.py"), "f: the buffer holds the half-typed text", buffer_text(buf))
  wait_for_findings(buf, client.id, "broken", "f: the half-typed buffer shows DJM101 and DJM102 below, and DJM001 (an error)")
  local actions = fix_all_actions(client, buf)
  check(
    #actions == 1 and edits_of(actions[1]) == 0,
    "f: fix-all on a buffer with a syntax error is one action with no edit",
    vim.inspect(actions)
  )
  set_text(buf, original)
  wait_for_findings(buf, client.id, "findings", "f: with the line finished (removed), the findings are the original's")

  -- c. Fix on save, from BufWritePre: `:w` writes what `dormlint check --fix` writes.
  local fixed_all = read(EXPECT .. "/fixed_all.py")
  if nvim_011 then
    run_readme_block("request_sync")
  else
    -- The README's synchronous snippet, in the API of Neovim before 0.11.
    vim.api.nvim_create_autocmd("BufWritePre", {
      pattern = "*.py",
      callback = function(args)
        local dormlint
        for _, c in pairs(clients(args.buf)) do
          if c.name == "dormlint" then
            dormlint = c
          end
        end
        if not dormlint then
          return
        end
        local params = vim.lsp.util.make_range_params(0, dormlint.offset_encoding)
        params.context = { only = { "source.fixAll.dormlint" }, diagnostics = {} }
        local result = dormlint.request_sync("textDocument/codeAction", params, 2000, args.buf)
        for _, action in ipairs(result and result.result or {}) do
          if action.edit then
            vim.lsp.util.apply_workspace_edit(action.edit, dormlint.offset_encoding)
          end
        end
      end,
    })
  end
  vim.cmd("silent write")
  local on_disk = read(PROJECT .. "/shop/views.py")
  check(on_disk == fixed_all, "c: `:w` with the fix-all BufWritePre writes the bytes `dormlint check --fix` writes", on_disk)
  check(not vim.bo[buf].modified, "c: the buffer is not modified after the write")
  wait_for_findings(buf, client.id, "fixed_all", "c: after the save, nothing is reported")
  vim.api.nvim_clear_autocmds({ event = "BufWritePre" })

  -- The README's asynchronous form (`apply = true`, Neovim 0.8 and later): the fixes
  -- land, if possibly just after the write, and a clean buffer says nothing.
  if nvim_08 then
    set_text(buf, original)
    vim.cmd("silent noautocmd write")
    wait_for_findings(buf, client.id, "findings", "c: the original text again: its findings again")
    run_readme_block("apply = true")
    vim.cmd("silent write")
    wait_for_text(buf, fixed_all, "c: README's `apply = true` BufWritePre fixes the buffer")
    vim.api.nvim_clear_autocmds({ event = "BufWritePre" })
    notifications = {}
    local before = applied
    vim.lsp.buf.code_action({ context = { only = { "source.fixAll.dormlint" } }, apply = true })
    vim.wait(TIMEOUT, function()
      return applied > before or #notifications > 0
    end, 20)
    check(
      applied == before + 1 and #notifications == 0 and buffer_text(buf) == fixed_all,
      "c: on a clean buffer, `apply = true` applies the empty fix quietly",
      vim.inspect(notifications)
    )
    vim.cmd("silent noautocmd write")
  end

  -- e. Settings. init_options `ignore = {"DJM101"}` on a second client (shop/orders.py
  -- holds the original text): DJM101 is never shown.
  vim.cmd("edit " .. PROJECT .. "/shop/orders.py")
  local orders = vim.api.nvim_get_current_buf()
  start({ name = "dormlint-ignore", init_options = { ignore = { "DJM101" } } })
  local ignoring = find_client(orders, "dormlint-ignore")
  if check(ignoring ~= nil, "e: a second client starts with init_options") then
    wait_for_findings(orders, ignoring.id, "ignore101", "e: init_options ignore = {\"DJM101\"}: DJM102 alone")
    local seen = table.concat(published[ignoring.id] or {}, " | ")
    check(
      seen ~= "" and not seen:find("DJM101"),
      "e: no publishDiagnostics of that client ever held DJM101",
      seen
    )
    -- A settings change at run time, as Neovim sends it (`settings.dormlint`).
    call(ignoring, "notify", "workspace/didChangeConfiguration", { settings = { dormlint = { select = { "DJM101" } } } })
    wait_for_findings(
      orders,
      ignoring.id,
      "select101",
      "e: didChangeConfiguration settings.dormlint.select = {\"DJM101\"}: DJM101 alone"
    )
  end
  -- `settings = { dormlint = { select = ... } }` in the client's configuration: Neovim
  -- sends it after initialize (0.8 and later; on 0.7, from on_init).
  vim.cmd("edit " .. PROJECT .. "/shop/reports.py")
  local reports = vim.api.nvim_get_current_buf()
  start({ name = "dormlint-settings", settings = { dormlint = { select = { "DJM102" } } } })
  local selecting = find_client(reports, "dormlint-settings")
  if check(selecting ~= nil, "e: a third client starts with settings") then
    wait_for_findings(reports, selecting.id, "select102", "e: settings.dormlint.select = {\"DJM102\"}: DJM102 alone")
  end
end

local success, error_message = xpcall(main, debug.traceback)
if not success then
  fail("the script stopped on an error", error_message)
end
say(string.format("neovim: %d passed, %d failed", passed, failed))
for _, c in pairs(clients()) do
  vim.lsp.stop_client(c.id)
end
vim.wait(2000, function()
  return #clients() == 0
end, 20)
if failed > 0 then
  vim.cmd("cquit 1")
else
  vim.cmd("qall!")
end
