import type { StriderConfig } from '../config/index.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { ModelChannel } from '../transport/ModelChannel.js';
import { Topics } from '../transport/topics.js';
import { brokerAuthFromConfig } from '../transport/transportFromConfig.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { connect as connectBroker } from './trainCommand.js';

/**
 * `strider replay --publish`: sends `model` to running controllers as the trainer does
 * (ModelChannel: retained, QoS 1, on `<transport.prefix>/<transport.robot_id>/model`), through the
 * broker at transport.broker (credentials and TLS as for `strider train`). Resolves once the
 * broker acknowledged it. A controller offers it to its hot-swap, which accepts it only if it is
 * newer than the version serving there and passes the checks.
 * @throws StriderError CLI_USAGE when transport.broker is `embedded` (no controller can reach
 *   it), TRANSPORT_* / the transport's error when the broker is not reachable in 10 s
 */
export async function publishReplayModel(
  config: Readonly<StriderConfig>,
  model: ModelVersion,
  logger: Logger,
): Promise<string> {
  const t = config.transport;
  checkPublishable(config);
  const topics = new Topics(t.prefix);
  // MQTT 5, or 3.1.1 where the broker refuses 5 (as strider train connects)
  const base = {
    url: t.broker,
    clientId: `strider-replay-${t.robot_id}-${process.pid}`,
    logger,
    ...brokerAuthFromConfig(t),
  };
  const transport = await connectBroker(base, undefined, 10_000, logger);
  try {
    await new ModelChannel({ transport, topics, logger }).publish(t.robot_id, model);
  } finally {
    await transport.close();
  }
  return topics.topic(t.robot_id, 'model');
}

/** @throws StriderError CLI_USAGE when transport.broker is `embedded`: call before training. */
export function checkPublishable(config: Readonly<StriderConfig>): void {
  if (config.transport.broker === 'embedded') {
    throw new StriderError(
      'CLI_USAGE',
      'strider replay --publish needs the running controllers\u2019 broker: --set transport.broker=mqtt://HOST:1883 ' +
        '(transport.broker is "embedded", a broker inside one strider run that nothing else reaches)',
    );
  }
}
