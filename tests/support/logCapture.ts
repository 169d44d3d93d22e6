/** A logger whose lines a test can read back (JSON lines, parsed). */
import { createLogger, type Logger } from '../../shared/log';

export interface CapturedLog {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
  /** Every line written so far, as written. */
  text(): string;
  clear(): void;
}

export function captureLog(level = 'info'): CapturedLog {
  let written: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void written.push(line) } });
  return {
    logger,
    lines: () => written.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => written.join(''),
    clear: () => {
      written = [];
    },
  };
}
