import pino, { type Logger } from 'pino';

/** Structured JSON logs on stderr (stdout stays free for CLI output). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'duckmesh' } }, pino.destination({ dest: 2, sync: false }));
}

export type { Logger };
