/**
 * Model artifacts over MQTT: the trainer publishes each version retained with QoS 1 on
 * `<prefix>/<robot>/model`; a controller subscribes and receives decoded, validated
 * {@link ModelVersion}s, or a rejection with its reason (logged and counted). A late joiner gets
 * the retained latest version at once.
 */

import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import type { DecodeFailureCode } from './binary.js';
import {
  decodeModelArtifact,
  encodeModelArtifact,
  type ModelManifest,
} from './ModelArtifactCodec.js';
import { Throttle } from './Throttle.js';
import type { Topics } from './topics.js';
import type { Transport } from './Transport.js';

/** What a model subscriber is told. */
export type ModelEvent =
  | {
      readonly type: 'accepted';
      readonly robotId: string;
      readonly model: ModelVersion;
      readonly manifest: ModelManifest;
    }
  | {
      readonly type: 'rejected';
      readonly robotId: string;
      readonly code: DecodeFailureCode;
      readonly reason: string;
    };

export interface ModelChannelCounters {
  received: number;
  accepted: number;
  rejected: number;
  /** The same version as the last accepted one (e.g. the retained copy after a resubscribe). */
  repeated: number;
}

export interface ModelChannelOptions {
  readonly transport: Pick<Transport, 'publishAsync' | 'subscribe'>;
  readonly topics: Topics;
  readonly logger?: Logger;
  /**
   * Where a received payload is decoded (checksum, shapes, finiteness: about 14 ms for a 2 MB
   * ensemble): the controller passes its tick gaps (TickGaps.defer), so the decode never runs
   * inside a tick. Default: at once, in the message callback.
   */
  readonly defer?: (work: () => void) => void;
}

export class ModelChannel {
  readonly counters: ModelChannelCounters = { received: 0, accepted: 0, rejected: 0, repeated: 0 };
  readonly #o: ModelChannelOptions;
  readonly #log: Logger;
  readonly #throttle = new Throttle(5000);
  readonly #lastVersion = new Map<string, number>();
  readonly #unsubs: (() => Promise<void>)[] = [];

  constructor(options: ModelChannelOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'model-channel' });
  }

  /** Trainer side: encodes and publishes retained, QoS 1; resolves on PUBACK. */
  async publish(
    robotId: string,
    model: ModelVersion,
    options: { createdAt?: Date } = {},
  ): Promise<void> {
    const payload = encodeModelArtifact(model, options);
    await this.#o.transport.publishAsync(this.#o.topics.topic(robotId, 'model'), payload, {
      qos: 1,
      retain: true,
    });
    this.#log.info({ robotId, version: model.version, bytes: payload.length }, 'model published');
  }

  /**
   * Controller side: subscribes to one robot's model topic (or `+`, every robot). `onEvent` runs
   * for each accepted or rejected payload; it must not throw (a throw is logged). An empty
   * retained payload (a cleared topic) is ignored.
   */
  async subscribe(robotId: string, onEvent: (ev: ModelEvent) => void): Promise<void> {
    const topics = this.#o.topics;
    const filter = robotId === '+' ? topics.allRobots('model') : topics.topic(robotId, 'model');
    const defer = this.#o.defer;
    const unsub = await this.#o.transport.subscribe(filter, 1, (topic, payload) => {
      if (defer === undefined) this.handle(topic, payload, onEvent);
      else
        defer(() => {
          this.handle(topic, payload, onEvent);
        });
    });
    this.#unsubs.push(unsub);
  }

  /** Processes one payload as if received on `topic`. Never throws. */
  handle(topic: string, payload: Uint8Array, onEvent: (ev: ModelEvent) => void): void {
    if (payload.length === 0) return;
    this.counters.received++;
    const robotId = this.#o.topics.parse(topic)?.robotId ?? topic;
    const r = decodeModelArtifact(payload);
    let ev: ModelEvent;
    if (!r.ok) {
      this.counters.rejected++;
      ev = { type: 'rejected', robotId, code: r.code, reason: r.reason };
      if (this.#throttle.allow('reject')) {
        this.#log.warn(
          { robotId, code: r.code, rejected: this.counters.rejected },
          `model rejected: ${r.reason}`,
        );
      }
    } else {
      const version = r.value.model.version;
      if (this.#lastVersion.get(robotId) === version) {
        this.counters.repeated++;
        return;
      }
      this.#lastVersion.set(robotId, version);
      this.counters.accepted++;
      ev = { type: 'accepted', robotId, model: r.value.model, manifest: r.value.manifest };
      this.#log.info(
        { robotId, version, sha256: r.value.manifest.weights.sha256 },
        'model received',
      );
    }
    try {
      onEvent(ev);
    } catch (err) {
      if (this.#throttle.allow('handler')) this.#log.error({ err }, 'model event handler threw');
    }
  }

  /** Unsubscribes everything this channel subscribed. */
  async close(): Promise<void> {
    const unsubs = this.#unsubs.splice(0);
    for (const u of unsubs) {
      try {
        await u();
      } catch (err) {
        this.#log.debug({ err }, 'unsubscribe failed at close');
      }
    }
  }
}
