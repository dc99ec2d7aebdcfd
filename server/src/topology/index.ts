export * from './types';
export * from './vocabulary';
export * from './citrixFlows';
export * from './annotations';
export * from './bind';
export * from './catalogVocabulary';
