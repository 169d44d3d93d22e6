/** Builds the worker for the disagreements task queue from a connection and its activities. */
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities } from '../activities';
import { PAYLOAD_CONVERTER_PATH } from '../shared/codec';
import { TASK_QUEUE } from '../shared/contract';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Refuses starts, signals and Updates whose payloads are not sealed with our key (issue 10). */
export const WORKFLOW_INTERCEPTORS_PATH = require.resolve('../workflows/interceptors');

/**
 * What every bundle of our workflows is built with (the worker's own, tests' prebuilt ones, replay):
 * the interceptors that refuse unsealed messages and the payload converter that lets them see them.
 */
export const WORKFLOW_BUNDLE_OPTIONS = {
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
  payloadConverterPath: PAYLOAD_CONVERTER_PATH,
} satisfies BundleOptions;

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  activities: Activities;
  taskQueue?: string;
  /** A prebuilt bundle (tests bundle once per suite, with WORKFLOW_BUNDLE_OPTIONS); otherwise the workflows are bundled now. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Encrypts payloads (`sealedDataConverter`); the API's client must use the same key. */
  dataConverter?: DataConverter;
}

export function createWorker({ connection, namespace, activities, taskQueue = TASK_QUEUE, workflowBundle, dataConverter }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    // The converter always: without it a marker the codec makes would fail the workflow task.
    dataConverter: { ...dataConverter, payloadConverterPath: PAYLOAD_CONVERTER_PATH },
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH, interceptors: { workflowModules: WORKFLOW_BUNDLE_OPTIONS.workflowInterceptorModules } }),
  });
}
