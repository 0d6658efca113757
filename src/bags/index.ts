export { BagReader } from './BagReader.js';
export {
  BagRecorder,
  type BagRecorderOptions,
  type RecordedTopic,
  type RecorderStats,
} from './BagRecorder.js';
export { normaliseType, isServiceEvent } from './messageDefinitions.js';
export { readBagEpisodes, replayBag, type BagEpisodes, type ReplaySummary } from './replayBag.js';
export { replaySchema, type ReplayConfig } from './replayConfig.js';
export type { BagMessage, BagTopic, DefinitionSource } from './types.js';
