/** Reads policy packs from YAML or JSON files and refuses a bad one with file, path and problem. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { policyPackSchema, type PolicyPack } from './schema';

export class PolicyPackError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`${file} is not a valid policy pack:\n${problems.map((p) => `  - ${p.path || '(top level)'}: ${p.message}`).join('\n')}`);
    this.name = 'PolicyPackError';
  }
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('');
}

export function issuesToProblems(issues: z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}

export function parsePolicyPack(text: string, file: string): PolicyPack {
  let document: unknown;
  try {
    document = parse(text, { prettyErrors: true });
  } catch (error) {
    throw new PolicyPackError(file, [{ path: '', message: `not readable as YAML or JSON: ${(error as Error).message}` }]);
  }
  const result = policyPackSchema.safeParse(document);
  if (!result.success) throw new PolicyPackError(file, issuesToProblems(result.error.issues));
  return result.data;
}

export function loadPolicyPack(file: string): PolicyPack {
  return parsePolicyPack(readFileSync(file, 'utf8'), file);
}

export const DEFAULT_POLICY_DIR = join(__dirname, '..', '..', 'policies');

/** Every pack in a folder, keyed by id; a duplicate id or any bad pack stops the start. */
export function loadPolicyRegistry(dir: string = DEFAULT_POLICY_DIR): Map<string, PolicyPack> {
  const packs = new Map<string, PolicyPack>();
  const files = readdirSync(dir)
    .filter((name) => /\.(ya?ml|json)$/.test(name))
    .sort();
  for (const name of files) {
    const file = join(dir, name);
    const pack = loadPolicyPack(file);
    if (packs.has(pack.id)) {
      throw new PolicyPackError(file, [{ path: 'id', message: `pack id "${pack.id}" is already used by another file` }]);
    }
    packs.set(pack.id, pack);
  }
  if (packs.size === 0) throw new Error(`No policy packs (*.yaml, *.json) found in ${dir}`);
  return packs;
}
