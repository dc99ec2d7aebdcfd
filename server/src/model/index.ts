export * from './types';
export * from './build';
export * from './snapshot';
export * from './edits';
