/**
 * A cancellation callback for tree-sitter parses. Its error recovery is
 * superlinear on some malformed input (5,000 `-` in a row: a quarter second
 * in Bicep; 10,000 unclosed braces: seconds in HCL), while well-formed text
 * parses at well under a microsecond per character. A parse that uses many
 * times that is cancelled (tree-sitter returns null) and the caller falls
 * back or reports a `limit` problem.
 *
 * The clock is this process's CPU time, not the wall clock, so a machine
 * busy with other work does not cancel parses of ordinary files.
 */
export function giveUpAfter(chars: number, baseMs = 20, msPerChar = 0.002): () => boolean {
  const budgetMicros = (baseMs + chars * msPerChar) * 1000;
  const start = cpuMicros();
  return () => cpuMicros() - start > budgetMicros;
}

function cpuMicros(): number {
  if (typeof process !== 'undefined' && typeof process.cpuUsage === 'function') {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  return performance.now() * 1000;
}
