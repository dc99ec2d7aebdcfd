// Unit tests do not time the code (speed and growth are the bench's:
// bench/run.mjs, bench/parsers.mjs, bench/growth.mjs); a test may still stop
// a hang. The bound is far above any honest run on a 2-core machine under
// heavy load (seen: load average 45, a 100,000-rule parse at 34 s), so it
// fails only on a hang or a blow-up, never on a busy machine.
export const HANG_GUARD_MS = 120_000;
