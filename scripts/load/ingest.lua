-- Ingest through POST /api/v1/inboxes/{id}/incoming with wrk, an HTTP load
-- generator that shares no code with Parley, to check parley-load's
-- figures. Each request is a new message with its own external id; one in
-- five comes from a contact never seen before, the rest from contacts this
-- thread has introduced (the mix parley-load ingest sends).
--
--   wrk -t2 -c64 -d10s --latency -s scripts/load/ingest.lua \
--       http://127.0.0.1:8080/api/v1/inboxes/1/incoming -- "$TOKEN"
--
-- wrk runs closed loop: each connection sends when answered. Non-2xx
-- answers are counted by wrk as "Non-2xx or 3xx responses".

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local words = { "order", "refund", "delivery", "arrived", "broken", "please",
  "thanks", "courier", "warranty", "invoice", "account", "password", "blender",
  "return", "label", "tracking", "yesterday", "today", "help", "again" }

function init(args)
  token = args[1] or ""
  -- Unique per run and thread, so reruns on one database never collide.
  run = string.format("w%d-%d-%d", os.time(), id, math.random(1, 1e9))
  math.randomseed(os.time() + id)
  sent = 0
  contacts = 0
  texts = {}
  for i = 1, 256 do
    local t = {}
    for j = 1, 20 do t[j] = words[math.random(#words)] end
    texts[i] = table.concat(t, " ")
  end
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
end

function request()
  sent = sent + 1
  local contact
  if contacts == 0 or math.random() < 0.2 then
    contacts = contacts + 1
    contact = contacts
  else
    contact = math.random(contacts)
  end
  local body = string.format(
    '{"contact":{"external_id":"%s-c%d","name":"Customer %d"},"external_message_id":"%s-m%d","text":"%s"}',
    run, contact, contact, run, sent, texts[sent % #texts + 1])
  return wrk.format("POST", nil, headers, body)
end
