export * from './value';
export * from './nsg';
export * from './stages';
export * from './firewall';
