/**
 * The trainer's outgoing side: models published retained on the model channel (and the versions
 * already there learnt from it), and the trainer's retained status message. Publishing never
 * blocks the caller; acknowledgements are tracked so a shutdown can wait for them.
 */

import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { ModelChannel, type ModelEvent } from '../transport/ModelChannel.js';
import { encodeStatus } from '../transport/StatusCodec.js';
import type { Topics } from '../transport/topics.js';
import type { Transport } from '../transport/Transport.js';
import type { Logger } from '../util/logger.js';

/** One published model, for the report. */
export interface PublishedModel {
  readonly robot_id: string;
  readonly version: number;
  readonly published_at: string;
  /** Wall-clock seconds of the round (fit, validation, storing). */
  readonly round_seconds: number;
  readonly metrics: ModelVersion['metrics'];
}

/** What goes into a status message besides its state. */
export interface TrainerStatusFigures {
  readonly modelVersion: number | null;
  readonly counters: Record<string, number>;
}

export interface TrainerPublisherOptions {
  readonly transport: Pick<Transport, 'subscribe' | 'publishAsync'>;
  readonly topics: Topics;
  /** Robot-id level of the status topic `<prefix>/<statusId>/status`. */
  readonly statusId: string;
  /** False once the service stops: no status is published then (the offline one aside). */
  readonly running: () => boolean;
  /** The newest version and the counters, read when a status message is built. */
  readonly figures: () => TrainerStatusFigures;
  /** Called when the broker has acknowledged a new model. Must not throw. */
  readonly onModelPublished?: (model: PublishedModel) => void;
  readonly logger: Logger;
}

export class TrainerPublisher {
  /** Models acknowledged by the broker, in order (republished ones aside). */
  readonly published: PublishedModel[] = [];
  readonly #o: TrainerPublisherOptions;
  readonly #models: ModelChannel;
  readonly #publishing = new Set<Promise<void>>();
  #statusTimer: NodeJS.Timeout | undefined;

  constructor(options: TrainerPublisherOptions) {
    this.#o = options;
    this.#models = new ModelChannel({
      transport: options.transport,
      topics: options.topics,
      logger: options.logger,
    });
  }

  /** The retained status topic of this trainer. */
  get statusTopic(): string {
    return this.#o.topics.topic(this.#o.statusId, 'status');
  }

  /** Publications not yet acknowledged or failed. */
  get pending(): number {
    return this.#publishing.size;
  }

  /** Settles when every publication under way now has been acknowledged or has failed. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.#publishing]);
  }

  /** Subscribes to the retained models of `filter` (a robot id or `+`); accepted ones go to `onSeen`. */
  async subscribeModels(
    filter: string,
    onSeen: (robotId: string, model: ModelVersion) => void,
  ): Promise<void> {
    await this.#models.subscribe(filter, (ev: ModelEvent) => {
      if (ev.type === 'accepted') onSeen(ev.robotId, ev.model);
    });
  }

  /** Publishes the online status now and every `intervalMs`. */
  startStatus(intervalMs: number): void {
    this.publishStatus();
    this.#statusTimer = setInterval(() => {
      this.publishStatus();
    }, intervalMs);
    this.#statusTimer.unref();
  }

  /** Publishes the online status (while running). Never rejects. */
  publishStatus(): void {
    if (!this.#o.running()) return;
    this.#o.transport
      .publishAsync(this.statusTopic, this.#statusPayload('online'), { qos: 1, retain: true })
      .catch((err: unknown) => {
        this.#o.logger.debug({ err }, 'status not published');
      });
  }

  /**
   * Publishes a model retained. A `new` one, once acknowledged, is recorded, announced in the
   * status and passed to onModelPublished; a `republish` (a stored model the broker lacks) is not.
   */
  publish(robotId: string, model: ModelVersion, seconds: number, kind: 'new' | 'republish'): void {
    const p = this.#models.publish(robotId, model).then(
      () => {
        if (kind === 'republish') return;
        const record: PublishedModel = {
          robot_id: robotId,
          version: model.version,
          published_at: new Date().toISOString(),
          round_seconds: seconds,
          metrics: model.metrics,
        };
        this.published.push(record);
        this.publishStatus();
        try {
          this.#o.onModelPublished?.(record);
        } catch (err) {
          this.#o.logger.error({ err }, 'onModelPublished threw');
        }
      },
      (err: unknown) => {
        // stored on disk: republished at the next start
        this.#o.logger.warn(
          { robotId, version: model.version, err },
          'model not acknowledged by the broker',
        );
      },
    );
    this.#publishing.add(p);
    void p.finally(() => this.#publishing.delete(p));
  }

  /** Stops the status timer and unsubscribes from the models. */
  async stop(): Promise<void> {
    clearInterval(this.#statusTimer);
    this.#statusTimer = undefined;
    await this.#models.close();
  }

  /** Publishes the offline status retained; gives up when `grace` settles first. Never rejects. */
  async publishOffline(grace: Promise<void>): Promise<void> {
    try {
      await Promise.race([
        this.#o.transport.publishAsync(this.statusTopic, this.#statusPayload('offline'), {
          qos: 1,
          retain: true,
        }),
        grace,
      ]);
    } catch (err) {
      this.#o.logger.warn({ err }, 'offline status not published');
    }
  }

  #statusPayload(state: 'online' | 'offline'): Buffer {
    const f = this.#o.figures();
    return encodeStatus({
      robotId: this.#o.statusId,
      role: 'trainer',
      state,
      timeMs: Date.now(),
      modelVersion: f.modelVersion,
      counters: f.counters,
    });
  }
}
