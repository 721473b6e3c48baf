-- wrk script of bench/load.py: unique writes for `ping`, `events` and `responses/{id}`.
--
-- wrk <options> -s bench/load.lua http://127.0.0.1:PORT/api/v1/client/bench \
--     -- ENDPOINT SECONDS TAG POOL
--
-- Each thread sends for SECONDS from its first request, then sends nothing more and, once
-- every request it sent is answered, prints "drained" (bench/load.py then stops wrk with
-- SIGINT), so no request is in flight when the rows are counted. Ids are
-- `<kind>-<TAG><thread>-<serial>`: unique across threads and across the runs of one server.
--   ping:      10 % of pings from a new visitor, the rest from one this thread pinged
--              already (5 % of those identified with a changed trait); visitor n is
--              identified when n % 5 < 3, with an account when also n % 3 == 0.
--   events:    a new event_id each, from visitors 1..POOL of the measured ping run ("m").
--   responses: PUT to a new response id each, completed, from the same visitors.
-- done() prints one line "result {json}": wrk's counts and latency percentiles, and the
-- threads' own tallies (2xx, other statuses, distinct ids acknowledged).

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } load_timespec;
int clock_gettime(int clock, load_timespec *now);
]])
local clock = ffi.new("load_timespec")

local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local HEADERS = { ["Content-Type"] = "application/json" }
local PAGE = '"page":{"url":"https://example.com/app/settings","title":"App","referrer":""}'
local NAMES = { "saved", "opened", "exported", "invited" }

-- main state: the threads, for done()
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

-- thread state; the globals are the tallies done() reads with thread:get
local endpoint, seconds, tag, pool
local deadline, draining, drained, verifying = nil, false, false, false
local serial = 0
local seats = {} -- visitor n -> seats trait, for the visitors this thread pinged
local seen = {} -- ids acknowledged

function init(args)
  endpoint, seconds, tag, pool = args[1], tonumber(args[2]), args[3], tonumber(args[4])
  math.randomseed(tid)
  -- wrk calls request() once on its first thread before the run, only to parse the
  -- request (script_verify_request); that one is never sent
  verifying = tid == 1
  sent, answered, ok, other, acked, completed, visitors = 0, 0, 0, 0, 0, 0, 0
end

local function visitor(run, n)
  local anon = string.format('"anon-%s%d-%08d"', run, tid, n)
  local user = n % 5 < 3 and string.format('"user-%s%d-%08d"', run, tid, n) or "null"
  return anon, user
end

local function ping()
  local n
  if visitors == 0 or math.random() < 0.10 then
    visitors = visitors + 1
    n = visitors
    seats[n] = 3
  else
    n = math.random(visitors)
    if n % 5 < 3 and math.random() < 0.05 then
      seats[n] = seats[n] + 1
    end
  end
  local anon, user = visitor(tag, n)
  if user ~= "null" then
    local account = "null"
    if n % 3 == 0 then
      account = string.format(
        '{"id":"acc-%d","name":"Awesome Inc.","traits":{"tier":"gold"}}',
        n % 50
      )
    end
    user = string.format(
      '{"id":%s,"email":"%s@example.com","name":"Jane Doe","traits":{"plan":"pro",'
        .. '"seats":%d,"paying":true,"signed_up_at":"2024-04-26T15:58:14Z"},"account":%s}',
      user,
      user:sub(2, -2),
      seats[n],
      account
    )
  end
  local body = string.format(
    '{"anonymous_id":%s,"signature":null,"locale":"en",%s,"user":%s}',
    anon,
    PAGE,
    user
  )
  return wrk.format("POST", wrk.path .. "/ping", HEADERS, body)
end

local function event()
  local anon, user = visitor("m", math.random(pool))
  local body = string.format(
    '{"event_id":"evt-%s%d-%08d","anonymous_id":%s,"user_id":%s,"name":"%s"}',
    tag,
    tid,
    serial,
    anon,
    user,
    NAMES[math.random(#NAMES)]
  )
  return wrk.format("POST", wrk.path .. "/events", HEADERS, body)
end

local function put_response()
  local anon, user = visitor("m", math.random(pool))
  local body = string.format(
    '{"form_id":"s00","anonymous_id":%s,"user_id":%s,"answers":{"nps":9,'
      .. '"why":"Fast and simple."},"data":{"source":"bench"},"locale":"en",'
      .. '"page_url":"https://example.com/app/settings","completed":true}',
    anon,
    user
  )
  local path = string.format("%s/responses/resp-%s%d-%08d", wrk.path, tag, tid, serial)
  return wrk.format("PUT", path, HEADERS, body)
end

local BUILD = { ping = ping, events = event, responses = put_response }

local function check_drained()
  if draining and not drained and answered == sent then
    drained = true
    io.write("drained\n")
    io.stdout:flush()
  end
end

function request()
  if verifying then
    verifying = false
    return wrk.format("GET", wrk.path)
  end
  local t = now()
  deadline = deadline or t + seconds
  if t >= deadline then
    draining = true
    check_drained()
    return "" -- nothing is written: the connection stays idle
  end
  serial = serial + 1
  sent = sent + 1
  return BUILD[endpoint]()
end

function response(status, headers, body)
  answered = answered + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
    if endpoint ~= "ping" then -- events and responses echo the id first
      local id = body:match('^{"id":"([^"]+)"')
      if id and not seen[id] then
        seen[id] = true
        acked = acked + 1
        if body:find('"completed":true', 1, true) then
          completed = completed + 1
        end
      end
    end
  else
    other = other + 1
  end
  check_drained()
end

function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    connect = summary.errors.connect,
    read = summary.errors.read,
    write = summary.errors.write,
    timeout = summary.errors.timeout,
    p50_us = latency:percentile(50),
    p99_us = latency:percentile(99),
    max_us = latency.max,
  }
  local sums = { "sent", "answered", "ok", "other", "acked", "completed", "visitors" }
  for _, name in ipairs(sums) do
    out[name] = 0
  end
  out.pool = math.huge -- the fewest visitors one thread pinged
  for _, thread in ipairs(threads) do
    for _, name in ipairs(sums) do
      out[name] = out[name] + thread:get(name)
    end
    out.pool = math.min(out.pool, thread:get("visitors"))
  end
  local fields = {}
  for name, value in pairs(out) do
    fields[#fields + 1] = string.format('"%s":%d', name, value)
  end
  io.write("result {", table.concat(fields, ","), "}\n")
end
