export * from './object-keys.js';
export * from './renditions.js';
