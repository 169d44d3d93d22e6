/**
 * The Temporal SDK's own log lines (worker state, activity failures and retries, workflow task
 * failures) go through our logger and its rules (shared/log.ts), not the SDK's console logger: an
 * activity that fails and retries is one line per attempt with the error's type and short message,
 * not a stack trace each time, and only the SDK's identifiers are kept from its metadata (a
 * workflow id is the case reference; activity inputs and results are never logged).
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import { log as processLog, type Logger } from './log';

const KEPT = ['state', 'sdkComponent', 'namespace', 'taskQueue', 'workflowId', 'workflowType', 'runId', 'workflowRunId', 'activityId', 'activityType', 'attempt', 'isLocal', 'durationMs'];

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

export function temporalLogger(logger: Logger = processLog, level: LogLevel = 'WARN'): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const meta = (entry.meta ?? {}) as Record<string, unknown>;
    const kept = Object.fromEntries(KEPT.filter((k) => meta[k] !== undefined).map((k) => [k, meta[k]]));
    const err = meta.error ?? meta.failure;
    logger[LEVELS[entry.level]]({ temporal: true, ...kept, ...(err !== undefined ? { err } : {}) }, entry.message);
  });
}

/** Once per process, before any worker or connection is made. INFO says when the worker is RUNNING. */
export function installTemporalLogging(options: Omit<RuntimeOptions, 'logger'> = {}, level: LogLevel = 'INFO'): void {
  Runtime.install({ ...options, logger: temporalLogger(processLog, level) });
}
