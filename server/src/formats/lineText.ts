/**
 * Line arithmetic on raw text shared by the line-based emitters (iptables,
 * nftables, ASA, Windows Firewall). Offsets are UTF-16 code units; a line
 * ends at "\n", so CRLF files keep their "\r" on the line's text.
 */

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function lineEndOf(text: string, offset: number): number {
  const n = text.indexOf('\n', offset);
  return n < 0 ? text.length : n;
}

export function nextLineStart(text: string, offset: number): number {
  const n = text.indexOf('\n', offset);
  return n < 0 ? text.length : n + 1;
}

/** Leading blanks of the line starting at `start`, as written. */
export function indentOf(text: string, start: number): string {
  return /^[ \t]*/.exec(text.slice(start, start + 200))?.[0] ?? '';
}

/** Inserting at the very end of a file that has no final line break needs one first. */
export function breakBeforeEnd(text: string, at: number): string {
  return at === text.length && text.length > 0 && !text.endsWith('\n') ? (text.includes('\r\n') ? '\r\n' : '\n') : '';
}
