import type { Span } from '../../model';
import type { Val } from '../azure/value';
import type { JsonNode } from '../arm/json';

/** An exported value is what the cloud holds: every string is a literal, nothing is an expression. */
export function literalVal(node: JsonNode): Val {
  switch (node.type) {
    case 'string':
      return { kind: 'string', value: node.value, span: node.span };
    case 'number':
      return { kind: 'number', value: node.value, span: node.span };
    case 'boolean':
      return { kind: 'boolean', value: node.value, span: node.span };
    case 'null':
      return { kind: 'null', span: node.span };
    case 'array':
      return { kind: 'array', items: node.items.map(literalVal), span: node.span };
    case 'object': {
      const props = new Map<string, Val>();
      for (const p of node.props) if (p.value) props.set(p.key, literalVal(p.value));
      return { kind: 'object', props, span: node.span };
    }
  }
}

export function itemsOf(node: JsonNode | undefined): readonly JsonNode[] {
  return node?.type === 'array' ? node.items : [];
}

export function stringOf(node: JsonNode | undefined): string | undefined {
  return node?.type === 'string' ? node.value : undefined;
}

/** The last segment of a resource id or self link: `…/networks/prod-vpc` → `prod-vpc`. */
export function lastSegment(idOrLink: string): string {
  const trimmed = idOrLink.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function cover(spans: readonly Span[]): Span | undefined {
  if (spans.length === 0) return undefined;
  return { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) };
}
