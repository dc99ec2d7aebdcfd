/**
 * A cancellation callback for tree-sitter parses. Its error recovery is
 * superlinear on some malformed input (5,000 `-` in a row: a quarter second
 * in Bicep; 10,000 unclosed braces: seconds in HCL), while well-formed text
 * parses at well under a microsecond per character. A parse that works much
 * harder than its length warrants is cancelled (tree-sitter returns null)
 * and the caller falls back or reports a `limit` problem.
 *
 * The measure is the number of times tree-sitter reports progress, which
 * follows the parser's own work and is the same on every run: a budget in
 * CPU time made the same well-formed file parse differently on a loaded
 * machine (garbage collection on other threads counts as this process's
 * time). Ordinary files use about 0.01 progress reports per character; the
 * pathological ones above use three times that and more. A generous CPU-time
 * limit stays behind as a safety net against a hang.
 */
export function giveUpAfter(chars: number, baseReports = 40, reportsPerChar = 0.02): () => boolean {
  const budgetReports = baseReports + chars * reportsPerChar;
  // Only a hang should trip this: at (50 + 0.01/char) ms it tripped on a loaded machine (load 40 on 2 cores:
  // other threads' GC and cache thrash count as this process's time), and a fresh parse then differed from
  // an incremental one. A second plus 50 µs per character is still a bound, far above any real parse.
  const budgetMicros = (1000 + chars * 0.05) * 1000;
  const start = cpuMicros();
  let reports = 0;
  return () => ++reports > budgetReports || cpuMicros() - start > budgetMicros;
}

function cpuMicros(): number {
  if (typeof process !== 'undefined' && typeof process.cpuUsage === 'function') {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  return performance.now() * 1000;
}

/**
 * Both budgets at once: a fallback that re-parses a file one declaration at a
 * time gives each declaration its own budget and the whole file one more, so
 * many slow declarations cannot add up to a hang.
 */
export function eitherBudget(first: () => boolean, second: () => boolean): () => boolean {
  return () => first() || second();
}
