export * from './object-keys.js';
