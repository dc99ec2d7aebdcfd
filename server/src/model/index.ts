export * from './types';
export * from './build';
export * from './edits';
export * from './routed';
