import { readFileSync } from 'node:fs';
import type { TransportConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { TransportOptions } from './Transport.js';

/** Environment variable that carries the broker password, so it need not sit in YAML. */
export const PASSWORD_ENV = 'STRIDER_MQTT_PASSWORD';

/**
 * Credentials and TLS from the `transport` config section: the password from
 * STRIDER_MQTT_PASSWORD when set, else transport.password; TLS files read as PEM, each failure
 * naming its config key and file. Shared by the controller and `strider train`.
 */
export function brokerAuthFromConfig(
  t: TransportConfig,
): Pick<TransportOptions, 'username' | 'password' | 'tls'> {
  const password = process.env[PASSWORD_ENV] ?? t.password;
  const read = (key: 'ca' | 'cert' | 'key', file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (cause) {
      throw new StriderError('CONFIG_INVALID', `transport.tls.${key}: cannot read ${file}`, {
        cause,
      });
    }
  };
  const tls = t.tls;
  const ca = read('ca', tls?.ca);
  const cert = read('cert', tls?.cert);
  const key = read('key', tls?.key);
  return {
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

/** Transport options from the `transport` config section for a known URL and protocol version. */
export function transportOptionsFromConfig(
  t: TransportConfig,
  options: { url: string; clientId: string; protocolVersion: 4 | 5; logger: Logger },
): TransportOptions {
  return {
    url: options.url,
    clientId: options.clientId,
    protocolVersion: options.protocolVersion,
    logger: options.logger,
    ...brokerAuthFromConfig(t),
  };
}
