import type { TestWorkflowEnvironment } from '@temporalio/testing';

export default async function globalTeardown() {
  const env = (globalThis as Record<string, unknown>).__TEMPORAL_TEST_ENV__ as TestWorkflowEnvironment | undefined;
  await env?.teardown();
}
