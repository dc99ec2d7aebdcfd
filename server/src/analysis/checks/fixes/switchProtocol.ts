import type { TextEdit } from '../../../model/edits';
import type { FixBuilder } from '../../codeFix';
import { editableFieldSpan, replaceFieldText, ruleOf } from './fieldEdit';

/** Protocol words as formats write them, and what each becomes for the other protocol (case kept). */
const SWAP: Readonly<Record<string, string>> = { tcp: 'udp', TCP: 'UDP', Tcp: 'Udp', udp: 'tcp', UDP: 'TCP', Udp: 'Tcp' };
const NUMBER: Readonly<Record<string, string>> = { '6': '17', '17': '6' };

/**
 * wrong-protocol: data `{ ruleSetId, ruleId, opened, meant, switchable }`.
 * Only a rule whose every port is one Citrix uses over the other protocol
 * gets the fix; it rewrites the protocol word (or number) inside the rule's
 * protocol field, and for iptables the `-m tcp` match that must follow it,
 * nothing else. A field that is not one plain protocol gets no fix rather
 * than a guess.
 */
export const switchProtocolFix: FixBuilder = (finding, { file }) => {
  if (!file) return [];
  const data = finding.data ?? {};
  if (data.switchable !== true || (data.opened !== 'tcp' && data.opened !== 'udp')) return [];
  const rule = ruleOf(file, data, finding);
  // A protocol written once for every copy of an ARM loop is not this rule's alone to change.
  const span = rule && editableFieldSpan(file, rule, rule.protocols.span);
  if (!rule || !span) return [];
  const field = file.text.slice(span.start, span.end);
  const opened = data.opened;
  const edits: TextEdit[] = [];
  const word = new RegExp(`(?<![\\w-])(${opened}|${opened.toUpperCase()}|${opened[0].toUpperCase()}${opened.slice(1)})(?![\\w-])`, 'g');
  const words = [...field.matchAll(word)];
  if (words.length === 1) {
    const at = span.start + words[0].index!;
    edits.push(replaceFieldText(file.uri, { start: at, end: at + words[0][0].length }, SWAP[words[0][0]]));
  } else if (words.length === 0) {
    const number = /(?<![\w.])(6|17)(?![\w.])/.exec(field);
    if (!number || number[1] !== (opened === 'tcp' ? '6' : '17') || field.replace(/["'\s]/g, '') !== number[1]) return [];
    const at = span.start + number.index;
    edits.push(replaceFieldText(file.uri, { start: at, end: at + number[1].length }, NUMBER[number[1]]));
  } else return [];
  if (file.format === 'iptables') {
    // `-p tcp -m tcp --dport …`: the match module names the protocol again, and iptables rejects a mismatch.
    const ruleText = file.text.slice(rule.span.start, rule.span.end);
    const match = new RegExp(`(?<=(^|\\s)(-m|--match)\\s+)${opened}(?=\\s|$)`, 'g');
    for (const m of ruleText.matchAll(match)) {
      const at = rule.span.start + m.index!;
      if (at >= span.start && at < span.end) continue;
      edits.push(replaceFieldText(file.uri, { start: at, end: at + opened.length }, SWAP[opened]));
    }
  }
  const meant = opened === 'tcp' ? 'UDP' : 'TCP';
  return [{ title: `Open ${meant} instead of ${opened.toUpperCase()}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits }];
};
