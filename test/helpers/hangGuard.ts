// Unit tests do not time the code (speed and growth are the bench's); a test
// may still stop a hang. The bound is far above any honest run on a loaded
// 2-core machine, so it can only fail on a hang or a blow-up.
export const HANG_GUARD_MS = 30_000;
