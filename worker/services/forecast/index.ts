export * from './types';
export * from './calendar';
export * from './estimators';
export * from './prng';
export * from './forecast';
export * from './compiled';
export * from './snapshot';
