import { readFileSync } from 'node:fs';
import type { TransportConfig } from '../config/schema.js';
import type { TransportOptions } from '../transport/Transport.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';

/**
 * Transport options from the `transport` config section: URL, credentials (the password from
 * STRIDER_MQTT_PASSWORD when set, so it need not sit in YAML) and TLS files read as PEM, each
 * failure naming its config key and file.
 */
export function transportOptionsFromConfig(
  t: TransportConfig,
  options: { url: string; clientId: string; protocolVersion: 4 | 5; logger: Logger },
): TransportOptions {
  const password = process.env['STRIDER_MQTT_PASSWORD'] ?? t.password;
  const read = (key: 'ca' | 'cert' | 'key', file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (cause) {
      throw new StriderError('CONFIG_INVALID', `transport.tls.${key}: cannot read ${file}`, { cause });
    }
  };
  const tls = t.tls;
  const ca = read('ca', tls?.ca);
  const cert = read('cert', tls?.cert);
  const key = read('key', tls?.key);
  return {
    url: options.url,
    clientId: options.clientId,
    protocolVersion: options.protocolVersion,
    logger: options.logger,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls !== undefined
      ? {
          tls: {
            rejectUnauthorized: tls.reject_unauthorized,
            ...(ca !== undefined ? { ca } : {}),
            ...(cert !== undefined ? { cert } : {}),
            ...(key !== undefined ? { key } : {}),
          },
        }
      : {}),
  };
}
