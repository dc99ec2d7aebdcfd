import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';

/**
 * The shapes of request parameters the server reads, checked before any
 * handler runs: a client (or anything on the pipe) that sends a wrong shape
 * gets InvalidParams naming the field, never an internal TypeError such as
 * "Cannot read properties of undefined (reading 'uri')".
 */
export type Shape =
  | 'uri'
  | 'string'
  | 'position'
  | 'range'
  | 'string[]'
  | 'object'
  | { readonly [field: string]: Shape | Optional };
export interface Optional {
  readonly optional: Shape;
}
export const optional = (shape: Shape): Optional => ({ optional: shape });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;

/** What is wrong with `value` at `path`, or undefined when it has the shape. */
export function shapeProblem(value: unknown, shape: Shape, path: string): string | undefined {
  switch (shape) {
    case 'uri':
      return typeof value === 'string' && value.length > 0 ? undefined : `${path} must be a document URI (a non-empty string)`;
    case 'string':
      return typeof value === 'string' ? undefined : `${path} must be a string`;
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : `${path} must be a list of strings`;
    case 'object':
      return isObject(value) ? undefined : `${path} must be an object`;
    case 'position':
      if (!isObject(value)) return `${path} must be a position ({ line, character })`;
      if (!isIndex(value.line)) return `${path}.line must be a non-negative integer`;
      if (!isIndex(value.character)) return `${path}.character must be a non-negative integer`;
      return undefined;
    case 'range':
      if (!isObject(value)) return `${path} must be a range ({ start, end })`;
      return shapeProblem(value.start, 'position', `${path}.start`) ?? shapeProblem(value.end, 'position', `${path}.end`);
    default: {
      if (!isObject(value)) return `${path} must be an object`;
      for (const [field, inner] of Object.entries(shape)) {
        const v = value[field];
        const sub = `${path}.${field}`;
        if (typeof inner === 'object' && 'optional' in inner) {
          if (v === undefined || v === null) continue;
          const p = shapeProblem(v, inner.optional as Shape, sub);
          if (p) return p;
        } else {
          const p = shapeProblem(v, inner, sub);
          if (p) return p;
        }
      }
      return undefined;
    }
  }
}

/** Throws InvalidParams (answered to the client as that error) when `params` is not of `shape`. */
export function checkParams(method: string, params: unknown, shape: Shape): void {
  const problem = shapeProblem(params, shape, 'params');
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${problem}`);
}

export const TEXT_DOCUMENT = { uri: 'uri' } as const;
export const AT_POSITION: Shape = { textDocument: TEXT_DOCUMENT, position: 'position' };
export const IN_RANGE: Shape = { textDocument: TEXT_DOCUMENT, range: 'range' };
export const DOCUMENT_ONLY: Shape = { textDocument: TEXT_DOCUMENT };
