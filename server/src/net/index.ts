export * from './rangeSet';
export * from './ports';
export * from './protocols';
export * from './ip';
export * from './addresses';
