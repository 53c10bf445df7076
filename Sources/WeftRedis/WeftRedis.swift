// WeftRedis: the hiredis connection layer (Connection/) and the Redis implementations of Weft's stores (Cache/;
// later the event log, state store and task queue).
//
// hiredis is imported by exactly one file, Connection/Internal/RedisConnection.swift, and no C type leaves it.
// hiredis' synchronous API blocks, so every call runs on threads this module owns (one per pooled connection,
// one per subscriber), never on the Swift cooperative pool or an event loop.
