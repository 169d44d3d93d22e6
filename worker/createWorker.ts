/** Builds the worker for the disagreements task queue from a connection and its activities. */
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities } from '../activities';
import { TASK_QUEUE } from '../shared/contract';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  activities: Activities;
  taskQueue?: string;
  /** A prebuilt bundle (tests bundle once per suite); otherwise the workflows are bundled now. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Encrypts payloads; the API's client must use the same key. */
  dataConverter?: DataConverter;
}

export function createWorker({ connection, namespace, activities, taskQueue = TASK_QUEUE, workflowBundle, dataConverter }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    dataConverter,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
