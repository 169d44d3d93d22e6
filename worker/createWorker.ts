/** Builds the worker for the disagreements task queue from a connection and its activities. */
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
}

export function createWorker({ connection, namespace, activities, taskQueue = TASK_QUEUE, workflowBundle }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
