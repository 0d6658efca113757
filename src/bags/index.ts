export { BagReader } from './BagReader.js';
export { normaliseType, isServiceEvent } from './messageDefinitions.js';
export type { BagMessage, BagTopic, DefinitionSource } from './types.js';
