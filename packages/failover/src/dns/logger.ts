/** The subset of pino's logger this module uses; a `pino.Logger` fits it. */
export interface DnsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

export const silentLogger: DnsLogger = { debug: noop, info: noop, warn: noop, error: noop };
