export * from './identity';
export * from './pipelines';
export * from './customers';
export * from './opportunities';
export * from './snapshots';
export * from './audit';
export * from './imports';
