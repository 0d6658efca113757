/** Transport domain: MQTT topics, versioned payloads, client, embedded broker, outbox/inbox, models. */
export { Topics, topicMatches, topicNameProblem } from './topics.js';
export type { Channel, ParsedTopic } from './topics.js';
export { FORMAT_VERSION, HEADER_BYTES } from './binary.js';
export type { DecodeFailureCode } from './binary.js';
export { hasExpertLabel } from './types.js';
export type {
  DecodeResult,
  PayloadKind,
  StatusMessage,
  StatusRole,
  TransitionBatch,
} from './types.js';
export {
  COMMAND_DIM,
  SOURCE_CODES,
  TRANSITIONS_VERSION,
  decodeTransitionBatch,
  encodeTransitionBatch,
} from './TransitionBatchCodec.js';
export {
  buildModelArtifact,
  decodeModelArtifact,
  decodeModelArtifactParts,
  encodeModelArtifact,
} from './ModelArtifactCodec.js';
export {
  MANIFEST_FILE,
  WEIGHTS_FILE,
  readModelArtifactDir,
  writeModelArtifactDir,
} from './ModelArtifactDir.js';
export type {
  DecodedModelArtifact,
  EncodeModelOptions,
  ModelManifest,
} from './ModelArtifactCodec.js';
export { decodeStatus, encodeStatus } from './StatusCodec.js';
export { Transport } from './Transport.js';
export type {
  MessageHandler,
  MessageInfo,
  TransportEvents,
  TransportOptions,
  TransportTlsOptions,
  TransportWill,
} from './Transport.js';
export { EmbeddedBroker } from './EmbeddedBroker.js';
export type { EmbeddedBrokerOptions } from './EmbeddedBroker.js';
export { DiskSpool } from './DiskSpool.js';
export type { DiskSpoolOptions, SpoolRecord } from './DiskSpool.js';
export { TransitionOutbox } from './TransitionOutbox.js';
export type {
  OutboxCounters,
  OutboxLevels,
  OutboxTransition,
  OutboxTransport,
  TransitionOutboxOptions,
} from './TransitionOutbox.js';
export { TransitionInbox } from './TransitionInbox.js';
export type { InboxCounters, TransitionInboxOptions } from './TransitionInbox.js';
export { ModelChannel } from './ModelChannel.js';
export type { ModelChannelCounters, ModelChannelOptions, ModelEvent } from './ModelChannel.js';
export {
  PASSWORD_ENV,
  brokerAuthFromConfig,
  transportOptionsFromConfig,
} from './transportFromConfig.js';
