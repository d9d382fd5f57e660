/**
 * The keeper workflow's public contract: everything a Temporal client (this project's client and CLI, the UI, or a
 * program in another language) needs to talk to a company's keeper. It imports nothing else of the project.
 */
export * from './ids';
export * from './tokens';
export * from './status';
export * from './messages';
export * from './versions';
export * from './failure-types';
export * from './search-attributes';
export * from './worker-settings';
export * from './activities';
export * from './zod-errors';
export * from './markers';
export * from './advice';
export * from './alerts';
export * from './metrics';
