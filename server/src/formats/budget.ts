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
  // Only a hang guard, so it must sit far above what any real parse costs: a broken 40 KB Bicep file (one
  // unterminated string) takes up to 0.75 s of process CPU time with garbage collection, and a limit of 0.46 s
  // made the same text parse whole in one run and lose declarations in the next. A broken 15.7 KB Bicep file
  // found by the fuzzer takes 0.4 s at rest and passed 1.4 s (the old 1 s + 25 µs a character) under the
  // load test, so the net sits at 2 s + 50 µs a character.
  const budgetMicros = (2000 + chars * 0.05) * 1000;
  const start = cpuMicros();
  let reports = 0;
  // The clock is a system call, a tenth of a parse that spends its whole budget: read it every 16th report.
  return () => ++reports > budgetReports || ((reports & 15) === 0 && cpuMicros() - start > budgetMicros);
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
