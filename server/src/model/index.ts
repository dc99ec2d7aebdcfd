export * from './types';
export * from './build';
export * from './edits';
