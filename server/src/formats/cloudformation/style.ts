/** JSON when the first thing in the file is `{`; YAML otherwise (JSON is YAML too, but the JSON reader recovers better and keeps JSON's spans). */
export function templateStyle(text: string): 'json' | 'yaml' {
  return /^\uFEFF?\s*\{/.test(text) ? 'json' : 'yaml';
}
