/// The Lua scripts of ``RedisActivityBroker``. Each state change of an attempt is one script, so it is atomic: a
/// worker's completion and its owner's timeout can race, but exactly one of them wins, and the owner's channel
/// hears of a change only once the attempt's hash holds it.
///
/// Attempt states: `queued` (an entry waits in the queue's stream) → `running` (a worker took it) → `done` (the
/// worker completed it; the outcome is in the hash) or `cancelled` (its owner gave up: timeout, cancellation).
enum RedisQueueScripts {
    /// KEYS: attempt hash, queue stream. ARGV: owner, queue name, token bytes, activity bytes, max pending,
    /// hash TTL (ms), group. Returns the entry id, or an error reply `QUEUEFULL <length>`. Idempotent: an attempt
    /// already queued (a retry after a lost reply) keeps its entry.
    static let enqueue = """
        local existing = redis.call('HGET', KEYS[1], 'entry')
        if existing then return existing end
        local length = redis.call('XLEN', KEYS[2])
        if length >= tonumber(ARGV[5]) then return redis.error_reply('QUEUEFULL ' .. length) end
        pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[7], '0', 'MKSTREAM')
        local id = redis.call('XADD', KEYS[2], '*', 'token', ARGV[3], 'activity', ARGV[4])
        redis.call('HSET', KEYS[1], 'state', 'queued', 'owner', ARGV[1], 'queue', ARGV[2], 'entry', id)
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return id
        """

    /// A worker takes an entry: the entry leaves the stream whatever the attempt's state (a stale entry is dropped).
    /// KEYS: attempt hash, queue stream. ARGV: entry id, group, worker id, token hex, owner channel prefix,
    /// hash TTL (ms). Returns 1 when taken, 0 when the attempt is no longer queued.
    static let claim = """
        redis.call('XACK', KEYS[2], ARGV[2], ARGV[1])
        redis.call('XDEL', KEYS[2], ARGV[1])
        if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
        redis.call('HSET', KEYS[1], 'state', 'running', 'worker', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        redis.call('PUBLISH', ARGV[5] .. redis.call('HGET', KEYS[1], 'owner'), 's ' .. ARGV[4])
        return 1
        """

    /// Puts an attempt back at the end of its queue: an entry read with no poll left to take it (ARGV[5] `queued`,
    /// ARGV[1] its entry id), or one taken for a poll whose caller went away (ARGV[5] `running`, ARGV[1] empty).
    /// KEYS: attempt hash, queue stream. ARGV: entry id or empty, group, token bytes, activity bytes, required
    /// state. Returns 1 when requeued.
    static let requeue = """
        if ARGV[1] ~= '' then
          redis.call('XACK', KEYS[2], ARGV[2], ARGV[1])
          redis.call('XDEL', KEYS[2], ARGV[1])
        end
        if redis.call('HGET', KEYS[1], 'state') ~= ARGV[5] then return 0 end
        local id = redis.call('XADD', KEYS[2], '*', 'token', ARGV[3], 'activity', ARGV[4])
        redis.call('HSET', KEYS[1], 'state', 'queued', 'entry', id)
        redis.call('HDEL', KEYS[1], 'worker')
        return 1
        """

    /// KEYS: attempt hash. ARGV: details, token hex, owner channel prefix.
    /// Returns 0 (recorded), 1 (cancelled: the worker should stop), -1 (not running: stale or unknown).
    static let heartbeat = """
        local state = redis.call('HGET', KEYS[1], 'state')
        if state == 'cancelled' then return 1 end
        if state ~= 'running' then return -1 end
        redis.call('HSET', KEYS[1], 'details', ARGV[1])
        redis.call('PUBLISH', ARGV[3] .. redis.call('HGET', KEYS[1], 'owner'), 'h ' .. ARGV[2] .. ' ' .. ARGV[1])
        return 0
        """

    /// KEYS: attempt hash. ARGV: outcome (`result` or `failure`), body (the result, or the failure's message),
    /// failure type, retryable (`1`/`0`), token hex, owner channel prefix, retention (ms).
    /// Returns 0 (completed), 1 (cancelled: discarded), -1 (not running: stale or unknown).
    static let complete = """
        local state = redis.call('HGET', KEYS[1], 'state')
        if state == 'cancelled' then return 1 end
        if state ~= 'running' then return -1 end
        redis.call('HSET', KEYS[1], 'state', 'done', 'outcome', ARGV[1], 'body', ARGV[2], 'failure_type', ARGV[3],
          'retryable', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[7])
        redis.call('PUBLISH', ARGV[6] .. redis.call('HGET', KEYS[1], 'owner'), 'd ' .. ARGV[5])
        return 0
        """

    /// The owner gives an attempt up (timeout, cancellation; with ARGV[3] `1` only while it is still queued:
    /// schedule-to-start). KEYS: attempt hash, queue stream. ARGV: retention (ms), group, only-if-queued.
    /// Returns 1 when the attempt turned `cancelled`.
    static let cancel = """
        local state = redis.call('HGET', KEYS[1], 'state')
        if state ~= 'queued' and state ~= 'running' then return 0 end
        if ARGV[3] == '1' and state ~= 'queued' then return 0 end
        if state == 'queued' then
          local entry = redis.call('HGET', KEYS[1], 'entry')
          redis.call('XACK', KEYS[2], ARGV[2], entry)
          redis.call('XDEL', KEYS[2], entry)
        end
        redis.call('HSET', KEYS[1], 'state', 'cancelled')
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """
}
