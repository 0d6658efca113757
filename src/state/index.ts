export { StateAssembler } from './StateAssembler.js';
export { stateIndex } from './types.js';
export type { StateLayout } from './types.js';
