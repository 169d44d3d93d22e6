/**
 * The system under test: this checkout by default, or another one (FAULTS_SYSTEM_DIR), so the
 * harness can run against a branch's code without being part of it. Its processes run from there,
 * and what the harness must agree with it on (search attributes to register, the task queue, the
 * record's verifier) is read from there too.
 */
import { join, resolve } from 'node:path';
import type { verifyChains as VerifyChains } from '../../db/record';

export const HARNESS_ROOT = resolve(__dirname, '..', '..');

export const SYSTEM_DIR = resolve(process.env.FAULTS_SYSTEM_DIR || HARNESS_ROOT);

export interface SystemParts {
  searchAttributeRegistrations: Record<string, string>;
  taskQueue: string;
  verifyChains: typeof VerifyChains;
}

export async function loadSystem(dir = SYSTEM_DIR): Promise<SystemParts> {
  const [attributes, contract, record] = await Promise.all([
    import(join(dir, 'shared', 'searchAttributes')) as Promise<{ searchAttributeRegistrations: Record<string, string> }>,
    import(join(dir, 'shared', 'contract')) as Promise<{ TASK_QUEUE: string }>,
    import(join(dir, 'db', 'record')) as Promise<{ verifyChains: typeof VerifyChains }>,
  ]);
  return { searchAttributeRegistrations: attributes.searchAttributeRegistrations, taskQueue: contract.TASK_QUEUE, verifyChains: record.verifyChains };
}
